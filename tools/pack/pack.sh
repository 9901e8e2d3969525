#!/usr/bin/env bash
# Packs GenAudit for NuGet into OUT (default ./packages):
#   GenAudit.<version>.nupkg                the library, with its XML documentation;
#   GenAudit.Cli.<version>.nupkg            the .NET tool (command `genaudit`), a pointer package, and
#   GenAudit.Cli.linux-x64.<version>.nupkg  its Linux x64 payload: framework-dependent, with libtorch and
#                                           the libLibTorchSharp.so patched for Debian 12 (Directory.Build.targets).
# Install the tool with:  dotnet tool install --global --add-source OUT GenAudit.Cli
# The packing runs in a temporary copy of the sources, so the checkout's bin/ and obj/ (built without a
# runtime identifier) are left alone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(realpath -m "${1:-packages}")"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/genaudit-pack.XXXXXX")"
trap 'rm -rf "$work"' EXIT
(cd "$root" && tar --exclude=bin --exclude=obj -cf - src build data docs/metrics.md Directory.Build.props Directory.Build.targets Directory.Packages.props) | tar -xf - -C "$work"
dotnet pack "$work/src/GenAudit/GenAudit.csproj" -c Release -o "$out" --nologo -v quiet
dotnet pack "$work/src/GenAudit.Cli/GenAudit.Cli.csproj" -c Release -o "$out" --nologo -v quiet \
  -p:PackAsTool=true -p:RuntimeIdentifiers=linux-x64 -p:ToolPackageRuntimeIdentifiers=linux-x64 -p:SelfContained=false
ls -1 "$out"/*.nupkg
