# Installs the yolo-training course on this Windows computer from this folder, without internet.
#
#   powershell -ExecutionPolicy Bypass -File install.ps1              installs into %USERPROFILE%\yolo-course
#   powershell -ExecutionPolicy Bypass -File install.ps1 -Dest D:\course
#   powershell -ExecutionPolicy Bypass -File install.ps1 -Python C:\Python311\python.exe
#
# Written by `yolo-training workshop pack` on @@DATE@@ for Python @@PYTHONS@@.
param(
    [string]$Dest = (Join-Path $HOME "yolo-course"),
    [string]$Python = ""
)
$ErrorActionPreference = "Stop"
$Pack = $PSScriptRoot
$Pythons = "@@PYTHONS@@".Split(" ")
$Extras = "@@EXTRAS@@"
$Platform = "windows"

function Fail([string]$Message) {
    Write-Host "install.ps1: $Message" -ForegroundColor Red
    exit 1
}

# The pack is the only source: no index, no pip settings of this computer (they could point at the internet).
Get-ChildItem Env: | Where-Object { $_.Name -like "PIP_*" } | ForEach-Object { Remove-Item "Env:$($_.Name)" }
$env:PIP_CONFIG_FILE = "nul"
$env:PIP_DISABLE_PIP_VERSION_CHECK = "1"

# A Python whose version the pack has packages for: -Python, then the py launcher, then python on PATH.
$Candidates = @()
if ($Python) { $Candidates += ,@($Python) }
foreach ($v in $Pythons) { $Candidates += ,@("py", "-$v") }
$Candidates += ,@("python")
$Py = $null
foreach ($c in $Candidates) {
    try {
        $exe = $c[0]
        $rest = @($c | Select-Object -Skip 1)
        $version = & $exe @rest -c "import sys; print('%d.%d' % sys.version_info[:2])" 2>$null
        if ($LASTEXITCODE -ne 0 -or -not $version) { continue }
        $tag = $version.Trim().Replace(".", "")
        if (Test-Path (Join-Path $Pack "locks\$Platform-cp$tag.txt")) { $Py = $c; break }
    } catch { continue }
}
if (-not $Py) {
    Fail "no Python $($Pythons -join ' or ') found (this pack was made for Python $($Pythons -join ' or ') on Windows). Install it from python.org (tick 'Add python.exe to PATH'), or pass -Python C:\path\to\python.exe"
}
$Lock = Join-Path $Pack "locks\$Platform-cp$tag.txt"

$Start = Get-Date
Write-Host "Installing the course into $Dest with $($Py -join ' ') (Python $($version.Trim())), from $Pack"
New-Item -ItemType Directory -Force -Path $Dest | Out-Null
$VenvPython = Join-Path $Dest ".venv\Scripts\python.exe"
if (-not (Test-Path $VenvPython)) {
    $exe = $Py[0]
    $rest = @($Py | Select-Object -Skip 1)
    & $exe @rest -m venv (Join-Path $Dest ".venv")
    if ($LASTEXITCODE -ne 0) { Fail "Python could not create a virtual environment in $Dest\.venv." }
}
& $VenvPython -m pip install --no-index --find-links (Join-Path $Pack "wheels") --constraint $Lock "yolo-training[$Extras]"
if ($LASTEXITCODE -ne 0) { Fail "installing the packages from $Pack\wheels failed (see above). Nothing was downloaded; run the script again, or ask your instructor." }

# The course files: never over a student's own work (a file that is there already is kept).
$Course = Join-Path $Pack "course"
Get-ChildItem -Path $Course -Recurse -File -Force | ForEach-Object {
    $relative = $_.FullName.Substring($Course.Length).TrimStart("\", "/")
    $target = Join-Path $Dest $relative
    if (-not (Test-Path $target)) {
        New-Item -ItemType Directory -Force -Path (Split-Path $target) | Out-Null
        Copy-Item -LiteralPath $_.FullName -Destination $target
    }
}

$Jupyter = Join-Path $Dest ".venv\Scripts\jupyter.exe"
Set-Content -Path (Join-Path $Dest "start.bat") -Encoding ASCII -Value @(
    "@echo off",
    "rem Starts the course: JupyterLab in this folder, with the course's Python.",
    "set YOLO_TRAINING_HOME=$Dest",
    "cd /d `"$Dest`"",
    "`"$Jupyter`" lab"
)

Write-Host ""
$env:YOLO_TRAINING_HOME = $Dest
& (Join-Path $Dest ".venv\Scripts\yolo-training.exe") doctor
if ($LASTEXITCODE -ne 0) { Write-Host "(yolo-training doctor reported a problem: see above)" }
$Seconds = [int]((Get-Date) - $Start).TotalSeconds
Write-Host ""
Write-Host "Installed in $Seconds s. Start the course by double-clicking $Dest\start.bat"
