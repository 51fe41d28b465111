@{
    RootModule           = 'AppServiceDr.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Desktop', 'Core')
    GUID                 = '5f0c7a1e-3d52-4b8e-9a61-2c4e8f7b9d10'
    Author               = 'AppServiceDr contributors'
    CompanyName          = 'AppServiceDr contributors'
    Copyright            = '(c) AppServiceDr contributors. MIT License.'
    Description          = 'Disaster recovery for Azure App Service: journaled, resumable runbooks that restore databases, file share content and Key Vault secrets, and fail a region over.'
    PowerShellVersion    = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess     = @('AppServiceDr.format.ps1xml')
    FunctionsToExport    = @()
    CmdletsToExport      = @(
        'Get-DrRun'
        'Export-DrReport'
        'Invoke-DeploymentRollback'
        'Invoke-KeyVaultSecretRecovery'
        'Invoke-RegionFailover'
        'Invoke-StorageRecovery'
        'Restore-AppServiceDatabase'
        'Restore-FileShareContent'
        'Test-SqlPointInTimeRestore'
        'Test-SqlBackupFile'
        'Test-KeyVaultRecoverability'
        'Test-ArmTemplateDeployment'
        'Test-StorageFailoverReadiness'
        'Test-FileShareBackup'
        'Invoke-DrDrill'
        'Get-DrDrillHistory'
        'Set-SqlFailoverGroup'
        'Set-TrafficManagerFailover'
        'Set-StorageRedundancy'
        'Set-DrAlertRule'
        'Export-DrInventory'
        'Import-DrInventory'
        'Invoke-DrTriage'
        'Restore-FunctionAppStorage'
        'Invoke-AppServiceRoleRecovery'
        'Invoke-AzureStackAppServiceRecovery'
    )
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Azure', 'AppService', 'DisasterRecovery', 'SQL', 'KeyVault', 'Backup', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
        }
    }
}
