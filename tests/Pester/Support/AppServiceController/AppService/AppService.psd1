@{
    RootModule        = 'AppService.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '3d0c9d6e-4f7b-4b1e-9a1c-2f6b5e0d7a11'
    Description       = 'Test stand-ins for the App Service controller commands (Azure Stack Hub).'
    FunctionsToExport = @('Restore-AppServiceStamp', 'Restore-AppServiceRoles', 'Get-AppServiceServer', 'Get-AppServiceSite', 'Get-AppServiceServerFarm', 'Sync-AppServiceObject', 'Get-Service', 'Stop-Service', 'Start-Service')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
