# Windows set-up: FFmpeg through winget when missing, a virtual env in .venv with the package,
# then run the app (-Run) or the test suite (-Test). Safe to run again.
param([switch]$Run, [switch]$Test)
$ErrorActionPreference = "Stop"
Set-Location (Split-Path -Parent $PSScriptRoot)

if (-not (Get-Command ffmpeg -ErrorAction SilentlyContinue) -or -not (Get-Command ffprobe -ErrorAction SilentlyContinue)) {
    Write-Host "[setup] installing FFmpeg with winget"
    winget install --id Gyan.FFmpeg -e --accept-source-agreements --accept-package-agreements
    $env:Path = [Environment]::GetEnvironmentVariable("Path", "Machine") + ";" + [Environment]::GetEnvironmentVariable("Path", "User")
}
if (-not (Test-Path .venv\Scripts\python.exe)) {
    Write-Host "[setup] creating virtual env in .venv"
    py -3 -m venv .venv
}
$extra = if ($Test) { ".[dev]" } else { "." }
.venv\Scripts\python.exe -m pip install -q --upgrade pip
.venv\Scripts\python.exe -m pip install -q -e $extra
if ($Test) {
    $env:QT_QPA_PLATFORM = "offscreen"
    .venv\Scripts\python.exe -m pytest -q -m "not player"
} elseif ($Run) {
    .venv\Scripts\hlsstudio.exe @args
}
