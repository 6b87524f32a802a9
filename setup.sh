#!/usr/bin/env bash
# Makes `dotnet framewire …` work anywhere in this clone: packs the command (src/Framewire.Cli) and restores it as
# the clone's local .NET tool, as .config/dotnet-tools.json names it. Run it again after pulling or changing the code.
# Arguments go to `dotnet pack` (the tests, having built the solution, pass --no-build).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

version=$(sed -n 's/^ *"version": "\([^"]*\)",*$/\1/p' .config/dotnet-tools.json | tail -n 1)
out="$PWD/artifacts/tool"
dotnet pack src/Framewire.Cli -c Release -o "$out" -p:PackageVersion="$version" --nologo -v quiet "$@"

# Only the package just made, so that a same-named package on a public feed cannot stand in for it.
cat >"$out/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="framewire" value="$out" />
  </packageSources>
</configuration>
CONFIG

# NuGet keeps a restored package by id and version: without this, a second run would keep the first run's command.
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/framewire.cli/$version"
dotnet tool restore --configfile "$out/nuget.config"
