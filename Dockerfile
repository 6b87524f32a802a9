# The framewire command in a container: docker build -t framewire . && docker run -p 65432:65432 framewire
# The default command runs the app-server on 0.0.0.0:65432; pass another command line to run something else, e.g.
#   docker run framewire app-server 0.0.0.0 65432 --trusted-proxy 172.16.0.0/12
# Graceful stop: docker stop sends SIGTERM and waits 10 s by default, less than the server's 30 s shutdown
# timeout: give it more (docker stop -t 40, compose's stop_grace_period: 40s) or pass --shutdown-timeout 8.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The build inputs only, so that editing tests or docs does not invalidate the restore and build layers.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
# The NativeAOT executable: a JIT build answers a fraction of its warm rate for its first seconds, exactly when a
# restarted server meets its clients' reconnect storm; the native one is at full speed from its first second and
# starts in a fifth of the time (docs/benchmarks.md, "Cold start").
# NativeAOT links with clang and needs zlib's headers (docs/development.md, "NativeAOT").
ARG TARGETARCH
RUN apt-get update -qq && apt-get install -y -qq clang zlib1g-dev >/dev/null
RUN dotnet publish src/Framewire.Cli -c Release -r linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) \
        -p:PublishAot=true -o /app && rm -f /app/*.dbg

# No .NET runtime needed: the base of the runtime images, with the unprivileged app user.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
WORKDIR /app
COPY --from=build /app .
# The image's unprivileged user (APP_UID): the server needs no privileges, as 65432 is not a privileged port.
USER $APP_UID
EXPOSE 65432
STOPSIGNAL SIGTERM
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# A real search, as HAProxy's check does: fails when the server stops answering, not only when the port closes.
# Drop it (--no-healthcheck) when 127.0.0.1 is given as a trusted proxy, as the server then demands a PROXY header.
HEALTHCHECK --interval=30s --timeout=5s CMD ["/app/framewire", "app-client", "127.0.0.1", "65432", "search", "morpheus"]
ENTRYPOINT ["/app/framewire"]
# Inside a container the server must listen on every interface to be reachable through the published port; it
# only does so when told, and prints a warning saying so, which is expected here.
CMD ["app-server", "0.0.0.0", "65432"]
