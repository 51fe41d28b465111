# Loads the build of the module that matches this PowerShell edition. Both builds expose the same
# cmdlets; the manifest's CmdletsToExport decides what the session sees.
$edition = if ($PSEdition -eq 'Core') { 'Core' } else { 'Desktop' }
$binary = [System.IO.Path]::Combine($PSScriptRoot, $edition, 'AppServiceDr.dll')
if (-not (Test-Path -LiteralPath $binary)) {
    throw "AppServiceDr: the $edition build is missing from the module folder ($binary). Reinstall the module."
}
$module = Import-Module -Name $binary -PassThru -ErrorAction Stop
# An array: a dictionary's key collection would bind as one string and export nothing.
Export-ModuleMember -Cmdlet @($module.ExportedCmdlets.Keys)
