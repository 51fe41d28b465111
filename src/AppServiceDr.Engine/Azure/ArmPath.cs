using System;
using System.Linq;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>Builds Resource Manager paths with every name escaped, and checks names before any call.</summary>
    public static class ArmPath
    {
        public static string Resource(string subscriptionId, string resourceGroup, string type, params string[] names)
        {
            var typeParts = type.Split('/');
            // "Microsoft.Sql/servers/databases" + (server, db) -> providers/Microsoft.Sql/servers/{server}/databases/{db}
            var path = "/subscriptions/" + Escape(subscriptionId) + "/resourceGroups/" + Escape(resourceGroup) + "/providers/" + typeParts[0];
            for (var i = 1; i < typeParts.Length; i++)
            {
                path += "/" + typeParts[i];
                if (i - 1 < names.Length) path += "/" + Escape(names[i - 1]);
            }
            return path;
        }

        public static string ResourceGroup(string subscriptionId, string resourceGroup) =>
            "/subscriptions/" + Escape(subscriptionId) + "/resourceGroups/" + Escape(resourceGroup);

        public static string Escape(string segment) => Uri.EscapeDataString(segment);

        /// <summary>Subscription as a GUID, resource group and names non-empty without path characters.</summary>
        public static void Validate(string subscriptionId, string resourceGroup, params string[] names)
        {
            if (!Guid.TryParse(subscriptionId, out _))
                throw DrException.Precondition("InvalidSubscriptionId", DrErrorCategory.InvalidArgument, $"'{subscriptionId}' is not a subscription id (a GUID).", subscriptionId);
            foreach (var n in new[] { resourceGroup }.Concat(names))
                if (string.IsNullOrWhiteSpace(n) || n.IndexOfAny(new[] { '/', '\\', '?', '#' }) >= 0)
                    throw DrException.Precondition("InvalidResourceName", DrErrorCategory.InvalidArgument, $"'{n}' is not a valid resource name.", n);
        }
    }
}
