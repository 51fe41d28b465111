using System.Linq;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Steps;

namespace AppServiceDr.Engine.Tests.AppService
{
    /// <summary>Which app setting values are secret: by name, by the shape of the value, and the secret parts of
    /// connection strings and URLs. Ordinary values must not be registered at all.</summary>
    public sealed class SettingSecretsTests
    {
        [Theory]
        [InlineData("FUNCTIONS_WORKER_RUNTIME", "java")]
        [InlineData("WEBSITE_ENABLE_SYNC_UPDATE_SITE", "true")]
        [InlineData("ENABLE_TOKEN_CACHE", "true")]
        [InlineData("TOKEN_LIFETIME_MINUTES", "60")]
        [InlineData("ASPNETCORE_ENVIRONMENT", "Production")]
        [InlineData("WEBSITE_RUN_FROM_PACKAGE", "https://github.com/Azure/azure-sdk-for-java/releases/download/v2/java-functions-2.0.0.zip")]
        [InlineData("WEBSITE_RUN_FROM_PACKAGE", "https://packages.example.test/app-1.0.0.zip?version=1")]
        [InlineData("ConnectionStrings__Storage", "@Microsoft.KeyVault(VaultName=kv1;SecretName=StorageConnectionString)")]
        [InlineData("WEBSITE_TIME_ZONE", "W. Europe Standard Time")]
        [InlineData("Logging__LogLevel__Default", "Warning")]
        public void Ordinary_settings_have_no_secret(string name, string value)
        {
            Assert.Empty(SettingSecrets.Of(name, value));
        }

        [Theory]
        [InlineData("DB_PASSWORD", "hunter2hunter2")]
        [InlineData("AzureAd__ClientSecret", "client-secret-plain")]
        [InlineData("MICROSOFT_PROVIDER_AUTHENTICATION_SECRET", "0Qx8Q~abc")]
        [InlineData("STRIPE_API_KEY", "sk_live_51abc")]
        [InlineData("APPINSIGHTS_INSTRUMENTATIONKEY", "5f1c8a0e-7d2b-4c3a-9e61-0b9d2f4a7c55")]
        [InlineData("APPLICATIONINSIGHTS_CONNECTION_STRING", "InstrumentationKey=5f1c8a0e-7d2b-4c3a-9e61-0b9d2f4a7c55")]
        [InlineData("SQLAZURECONNSTR_Orders", "Server=tcp:orders.database.windows.net;Database=orders")]
        [InlineData("ConnectionStrings__Db", "Server=tcp:orders.database.windows.net;Database=orders")]
        [InlineData("Upload__Sas", "sv=2024-11-04&sig=abc")]
        [InlineData("Orders__Bearer", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJl")]
        [InlineData("LEGACY_BLOB", "c3RvcmFnZS1hY2NvdW50LWtleS0xMjM0NTY3ODkwYWJjZGVmZ2hpams=")]
        public void Secret_settings_are_secret_as_a_whole(string name, string value)
        {
            Assert.Contains(value, SettingSecrets.Of(name, value));
        }

        [Fact]
        public void A_connection_string_gives_its_key_and_password_on_their_own_too()
        {
            const string Storage = "DefaultEndpointsProtocol=https;AccountName=stapp;AccountKey=c3RvcmFnZS1rZXk=;EndpointSuffix=core.windows.net";
            const string Sql = "Server=tcp:db.database.windows.net;User ID=app;Password=Pa55!word;";
            const string Bus = "Endpoint=sb://bus.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=YnVzLWtleQ==";

            Assert.Equal(new[] { Storage, "c3RvcmFnZS1rZXk=" }, SettingSecrets.Of("AzureWebJobsStorage", Storage));
            Assert.Equal(new[] { Sql, "Pa55!word" }, SettingSecrets.Of("OrdersDb", Sql));
            Assert.Equal(new[] { Bus, "YnVzLWtleQ==" }, SettingSecrets.Of("Bus", Bus));
            Assert.DoesNotContain("stapp", SettingSecrets.Of("AzureWebJobsStorage", Storage));
            Assert.DoesNotContain("send", SettingSecrets.Of("Bus", Bus));
        }

        [Fact]
        public void A_url_gives_its_signature_its_signed_query_and_its_password_but_not_the_rest()
        {
            const string Query = "sv=2024-11-04&sr=b&sig=Zk9v%2Bq3L%3D";
            var url = PackageUrl.TryParse("https://user:p%40ss@packages.example.test/java-functions-1.0.0.zip?" + Query)!;

            var secrets = SettingSecrets.OfUrl(url).ToList();

            Assert.Equal(new[] { "p%40ss", "p@ss", Query, "sv=2024-11-04&sr=b&sig=Zk9v+q3L=", "Zk9v%2Bq3L%3D", "Zk9v+q3L=" }, secrets);
            Assert.All(secrets, s => Assert.DoesNotContain("java", s));
            Assert.Empty(SettingSecrets.OfUrl(PackageUrl.TryParse("https://packages.example.test/app.zip?sv=2024-11-04&sr=b")!));
        }

        [Fact]
        public void Registered_secrets_are_masked_and_ordinary_words_are_not()
        {
            var redactor = new SecretRedactor();
            redactor.RegisterAll(SettingSecrets.Of("FUNCTIONS_WORKER_RUNTIME", "java"));
            redactor.RegisterAll(SettingSecrets.Of("DB_PASSWORD", "hunter2hunter2"));

            Assert.Equal("https://github.com/Azure/azure-sdk-for-java/x/java-functions.zip; password ***",
                redactor.Redact("https://github.com/Azure/azure-sdk-for-java/x/java-functions.zip; password hunter2hunter2"));
        }
    }
}
