# A drill plan for Invoke-DrDrill and the Verification suite. Copy it, fill in your names, and schedule it
# (see docs/scheduling-drills.md). Targets: each test's Rto/Rpo, else the tier's (seed 004: tier 2 recovers in
# 1-2 h and loses at most 5 min of SQL data and none of GRS storage; tier 3 recovers in 15-30 min, near-zero loss).
@{
    Name       = 'Monthly App Service DR drill'
    Tier       = 2
    # Given to every drill that has these parameters.
    Parameters = @{
        SubscriptionId     = '00000000-0000-0000-0000-000000000000'
        UseManagedIdentity = $true
    }
    Tests      = @(
        @{
            Test       = 'Test-SqlPointInTimeRestore'
            Parameters = @{ ResourceGroupName = 'rg-portal'; ServerName = 'sql-portal'; DatabaseName = 'AppRequestPortal'; VerifyQuery = 'SELECT COUNT(*) FROM dbo.Requests' }
        }
        @{
            Test       = 'Test-KeyVaultRecoverability'
            Parameters = @{ ResourceGroupName = 'rg-portal'; VaultName = 'kv-portal'; WebAppName = 'portal'; ExpiringWithinDays = 30 }
        }
        @{
            Test       = 'Test-ArmTemplateDeployment'
            Parameters = @{ Location = 'westus2'; TemplateFile = './azuredeploy.json'; TemplateParameterFile = './azuredeploy.drill.parameters.json' }
            Rto        = '01:00:00'
        }
        @{
            Test       = 'Test-StorageFailoverReadiness'
            Parameters = @{ ResourceGroupName = 'rg-portal'; StorageAccountName = 'stportal' }
            Rpo        = '00:15:00'
        }
    )
}
