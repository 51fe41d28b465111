# Loads the build of the module that matches this PowerShell edition. Both builds expose the same
# cmdlets; the manifest's CmdletsToExport decides what the session sees.
# Every command run here adds to each import's time, so this file uses .NET calls where it can: Test-Path
# alone made the import a fifth slower (bench/AppServiceDr.Bench.Import measures it).
$binary = [System.IO.Path]::Combine($PSScriptRoot, $(if ($PSEdition -eq 'Core') { 'Core' } else { 'Desktop' }), 'AppServiceDr.dll')
if (-not [System.IO.File]::Exists($binary)) {
    throw "AppServiceDr: the build for this PowerShell edition is missing from the module folder ($binary). Reinstall the module."
}
Import-Module -Name $binary -ErrorAction Stop
# A wildcard, not the nested module's key collection (which would bind as one string and export nothing).
Export-ModuleMember -Cmdlet '*'
