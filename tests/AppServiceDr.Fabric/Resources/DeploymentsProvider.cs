using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Resources;

/// <summary>Templates the fabric can fetch for templateLink/parametersLink, by absolute URI.</summary>
public sealed class TemplateStore
{
    public Dictionary<string, JsonObject> ByUri { get; } = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
}

/// <summary>
/// Microsoft.Resources deployments (2022-09-01) at resource-group scope, Incremental mode: the
/// template (inline, or linked from a URI registered with the fabric or a file:// path) is
/// evaluated up front, then its resources are created one after another by their providers over
/// the operation's duration, in dependsOn order. Anything unsupported fails the deployment.
/// </summary>
public sealed class DeploymentsProvider : IFabricProvider
{
    public const string DeploymentType = "Microsoft.Resources/deployments";
    private const string Path = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/{name}";
    private FabricState _state = null!;
    private FabricRoutes _routes = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        _routes = routes;
        routes.Arm.Map("PUT", Path, Put);
        routes.Arm.Map("GET", Path, Get);
        routes.Arm.Map("POST", Path + "/validate", Validate);
        routes.Arm.Map("POST", Path + "/whatIf", WhatIf);
        routes.Admin.Map("PUT", "/_fabric/templates", request =>
        {
            RegisterTemplate(_state, request.Query("uri") ?? throw FabricError.BadRequest("InvalidRequestContent", "The uri query parameter is required."), request.RequireBody());
            return FabricResult.NoContent();
        });
    }

    /// <summary>Makes <paramref name="template"/> downloadable at <paramref name="uri"/> for templateLink.</summary>
    public static void RegisterTemplate(FabricState state, string uri, JsonObject template) =>
        state.Store<TemplateStore>().ByUri[uri] = (JsonObject)template.DeepClone();

    private JsonObject Fetch(JsonNode? link, string what)
    {
        var uri = link?["uri"]?.GetValue<string>() ?? throw FabricError.BadRequest("InvalidContentLink", $"The {what} link has no uri.");
        if (_state.Store<TemplateStore>().ByUri.TryGetValue(uri, out var registered))
        {
            return (JsonObject)registered.DeepClone();
        }
        if (Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.IsFile && File.Exists(parsed.LocalPath))
        {
            try
            {
                return JsonNode.Parse(File.ReadAllText(parsed.LocalPath)) as JsonObject
                       ?? throw FabricError.BadRequest("InvalidContentLink", $"The content at '{uri}' is not a JSON object.");
            }
            catch (JsonException e)
            {
                throw FabricError.BadRequest("InvalidContentLink", $"The content at '{uri}' is not valid JSON: {e.Message}");
            }
        }
        throw FabricError.BadRequest("InvalidContentLink", $"The fabric cannot fetch '{uri}': register it (PUT /_fabric/templates?uri=...) or use a file:// path.");
    }

    private FabricResult Get(FabricRequest request)
    {
        var id = Id(request);
        return FabricResult.Ok(Arm.RequireResource(_state, id, DeploymentType).ToJson());
    }

    private string Id(FabricRequest request) =>
        Arm.ResourceGroupId(request.Route("sub"), request.Route("rg")) + "/providers/" + DeploymentType + "/" + request.Route("name");

    private FabricResult Put(FabricRequest request)
    {
        var group = Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var properties = request.RequireBody()["properties"] as JsonObject
                         ?? throw FabricError.BadRequest("InvalidDeployment", "The deployment properties are required.");
        var id = Id(request);
        var existing = _state.Arm.Find(id);
        var runningState = existing?.Properties["provisioningState"]?.GetValue<string>();
        if (runningState == "Accepted" || runningState == "Running")
        {
            throw FabricError.Conflict("DeploymentActive", $"The deployment '{request.Route("name")}' is still active; wait for it to finish.");
        }
        var (template, parameters) = TemplateOf(properties);

        var deployment = new ArmResource(id, DeploymentType, null);
        var p = deployment.Properties;
        if (properties["templateLink"] is JsonObject link)
        {
            p["templateLink"] = new JsonObject { ["uri"] = link["uri"]?.DeepClone(), ["contentVersion"] = template["contentVersion"]?.DeepClone() ?? "1.0.0.0" };
        }
        p["templateHash"] = TemplateHash(template);
        p["mode"] = properties["mode"]?.GetValue<string>() ?? "Incremental";
        p["provisioningState"] = "Accepted";
        p["timestamp"] = Arm.Iso(_state.Now);
        p["duration"] = "PT0S";
        p["correlationId"] = Guid.NewGuid().ToString();
        p["providers"] = new JsonArray();
        p["dependencies"] = new JsonArray();

        List<DeploymentTarget> plan;
        JsonObject outputs;
        FabricError? failure = null;
        try
        {
            if (!string.Equals(p["mode"]!.GetValue<string>(), "Incremental", StringComparison.OrdinalIgnoreCase))
            {
                throw new TemplateException($"The deployment mode '{p["mode"]}' is not supported by the fabric; only Incremental is.", unsupported: true);
            }
            var expressions = Expressions(template, parameters, request, group, p);
            plan = Plan(template, expressions, request.Route("sub"), request.Route("rg"), group.Location!);
            outputs = Outputs(template, expressions);
            p["providers"] = Providers(plan);
        }
        catch (TemplateException e) when (!e.Unsupported)
        {
            throw FabricError.BadRequest("InvalidTemplate", "Deployment template validation failed: " + e.Message);
        }
        catch (TemplateException e)
        {
            plan = new List<DeploymentTarget>();
            outputs = new JsonObject();
            failure = new FabricError(400, "InvalidTemplate", "The template cannot be deployed: " + e.Message);
        }
        _state.Arm.Add(deployment);
        _state.Operations.Schedule(0, () => p["provisioningState"] = "Running");

        // Resources appear one by one over the operation's duration so dependent work can start early.
        var step = _state.Timings.OperationMs / (plan.Count + 1);
        FabricError? deployError = null;
        for (var i = 0; i < plan.Count && failure == null; i++)
        {
            var target = plan[i];
            _state.Operations.Schedule(step * (i + 1), () =>
            {
                if (deployError != null)
                {
                    return;
                }
                try
                {
                    _routes.Deployers.First(d => d.CanDeploy(target.Type)).Deploy(_state, target);
                    ((JsonArray)(p["outputResources"] ??= new JsonArray())).Add(new JsonObject { ["id"] = target.Id });
                }
                catch (FabricError e)
                {
                    deployError = new FabricError(400, "DeploymentFailed", $"Resource '{target.Type}/{target.Name}' failed: {e.Code}: {e.Message}");
                }
            });
        }
        var started = _state.Now;
        void Finish(string state, JsonObject? error)
        {
            p["provisioningState"] = state;
            p["duration"] = System.Xml.XmlConvert.ToString(_state.Now - started);
            p["timestamp"] = Arm.Iso(_state.Now);
            if (error != null)
            {
                p["error"] = error;
            }
        }
        LongRunningOperation? op = null;
        op = _state.Operations.Start(request, "Microsoft.Resources", group.Location, _state.Timings.OperationMs,
            onSucceeded: () =>
            {
                p["outputs"] = outputs;
                Finish("Succeeded", null);
            },
            onFailed: () => Finish("Failed", new JsonObject { ["code"] = op!.FailureCode, ["message"] = op.FailureMessage }),
            result: () => deployment.ToJson(),
            failure: failure,
            verify: () => deployError);
        return _state.Operations.Accepted(op, request, existing == null ? 201 : 200, deployment.ToJson(), locationHeader: false);
    }

    private (JsonObject Template, JsonObject Parameters) TemplateOf(JsonObject properties)
    {
        var template = properties["template"] as JsonObject ?? (properties["templateLink"] != null ? Fetch(properties["templateLink"], "template") : null)
                       ?? throw FabricError.BadRequest("InvalidDeployment", "The deployment needs a template or a templateLink.");
        var parameters = properties["parameters"] as JsonObject
                         ?? (properties["parametersLink"] != null ? Fetch(properties["parametersLink"], "parameters")["parameters"] as JsonObject : null)
                         ?? new JsonObject();
        return (template, parameters);
    }

    /// <summary>
    /// The template evaluated as a deployment would evaluate it, without deploying or recording anything: the
    /// resources it would create, in order. A template that is not valid is refused with 400 InvalidTemplate; one the
    /// fabric cannot deploy (an unsupported feature or resource type) with 400 InvalidTemplateDeployment.
    /// </summary>
    private (ArmResource Group, JsonObject Properties, List<DeploymentTarget> Plan) Preview(FabricRequest request)
    {
        var group = Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var properties = request.RequireBody()["properties"] as JsonObject
                         ?? throw FabricError.BadRequest("InvalidDeployment", "The deployment properties are required.");
        var (template, parameters) = TemplateOf(properties);
        var p = new JsonObject();
        if (properties["templateLink"] is JsonObject link)
        {
            p["templateLink"] = new JsonObject { ["uri"] = link["uri"]?.DeepClone(), ["contentVersion"] = template["contentVersion"]?.DeepClone() ?? "1.0.0.0" };
        }
        p["templateHash"] = TemplateHash(template);
        p["mode"] = properties["mode"]?.GetValue<string>() ?? "Incremental";
        try
        {
            if (!string.Equals(p["mode"]!.GetValue<string>(), "Incremental", StringComparison.OrdinalIgnoreCase))
            {
                throw new TemplateException($"The deployment mode '{p["mode"]}' is not supported by the fabric; only Incremental is.", unsupported: true);
            }
            var expressions = Expressions(template, parameters, request, group, p);
            var plan = Plan(template, expressions, request.Route("sub"), request.Route("rg"), group.Location!);
            return (group, p, plan);
        }
        catch (TemplateException e) when (!e.Unsupported)
        {
            throw FabricError.BadRequest("InvalidTemplate", "Deployment template validation failed: " + e.Message);
        }
        catch (TemplateException e)
        {
            throw FabricError.BadRequest("InvalidTemplateDeployment", $"The template deployment '{request.Route("name")}' is not valid according to the validation procedure: " + e.Message);
        }
    }

    /// <summary>Deployments_ValidateAtResourceGroupScope: 200 with the deployment as it would be (provisioningState
    /// Succeeded, the providers and validatedResources), or 400; no deployment is made.</summary>
    private FabricResult Validate(FabricRequest request)
    {
        var (_, p, plan) = Preview(request);
        p["provisioningState"] = "Succeeded";
        p["timestamp"] = Arm.Iso(_state.Now);
        p["duration"] = "PT0S";
        p["correlationId"] = Guid.NewGuid().ToString();
        p["providers"] = Providers(plan);
        p["dependencies"] = new JsonArray();
        p["validatedResources"] = new JsonArray(plan.Select(t => (JsonNode?)new JsonObject { ["id"] = t.Id }).ToArray());
        return FabricResult.Ok(new JsonObject
        {
            ["id"] = Id(request),
            ["name"] = request.Route("name"),
            ["type"] = DeploymentType,
            ["properties"] = p,
        });
    }

    /// <summary>Deployments_WhatIf (answered at once with 200, which the specification allows besides 202): each
    /// resource the template declares, Create when it does not exist, Deploy when it does (it is redeployed; the fabric
    /// does not compare properties, so it never claims NoChange or Modify).</summary>
    private FabricResult WhatIf(FabricRequest request)
    {
        var (_, _, plan) = Preview(request);
        var changes = plan.Select(t =>
        {
            var exists = _state.Arm.Find(t.Id) != null;
            var after = new JsonObject
            {
                ["apiVersion"] = t.Definition["apiVersion"]?.DeepClone(),
                ["id"] = t.Id,
                ["type"] = t.Type,
                ["name"] = t.Name,
                ["location"] = ArmStore.NormalizeRegion(t.Location),
            };
            foreach (var declared in new[] { "tags", "sku", "kind", "properties" })
            {
                if (t.Definition[declared] is JsonNode value)
                {
                    after[declared] = value.DeepClone();
                }
            }
            return (JsonNode?)new JsonObject { ["resourceId"] = t.Id, ["changeType"] = exists ? "Deploy" : "Create", ["after"] = after };
        }).ToArray();
        return FabricResult.Ok(new JsonObject { ["status"] = "Succeeded", ["properties"] = new JsonObject { ["changes"] = new JsonArray(changes) } });
    }

    private static TemplateExpressions Expressions(JsonObject template, JsonObject supplied, FabricRequest request, ArmResource group, JsonObject deploymentProperties)
    {
        foreach (var unsupported in new[] { "functions" })
        {
            if (template[unsupported] != null)
            {
                throw new TemplateException($"The template section '{unsupported}' is not supported by the fabric.", unsupported: true);
            }
        }
        var declared = template["parameters"] as JsonObject ?? new JsonObject();
        foreach (var name in supplied.Select(s => s.Key))
        {
            if (!declared.ContainsKey(name))
            {
                throw new TemplateException($"The parameter '{name}' is not declared in the template.");
            }
        }
        // Defaults may use expressions (even parameters() of other parameters): evaluate supplied values first.
        var values = new JsonObject();
        foreach (var pair in declared)
        {
            if (supplied[pair.Key] is JsonObject given && given.ContainsKey("value"))
            {
                values[pair.Key] = given["value"]?.DeepClone();
            }
        }
        var variables = template["variables"] as JsonObject ?? new JsonObject();
        var expressions = new TemplateExpressions(values, variables, request.Route("sub"), group.Name, group.Location!);
        foreach (var pair in declared)
        {
            if (values.ContainsKey(pair.Key))
            {
                continue;
            }
            if (pair.Value is JsonObject declaration && declaration.ContainsKey("defaultValue"))
            {
                values[pair.Key] = expressions.Evaluate(declaration["defaultValue"]);
            }
            else
            {
                throw new TemplateException($"Parameter '{pair.Key}' has no value and no default.");
            }
        }
        var echoed = new JsonObject();
        foreach (var pair in declared)
        {
            echoed[pair.Key] = new JsonObject
            {
                ["type"] = pair.Value?["type"]?.DeepClone() ?? "String",
                ["value"] = pair.Value?["type"]?.GetValue<string>().StartsWith("secure", StringComparison.OrdinalIgnoreCase) == true ? null : values[pair.Key]?.DeepClone(),
            };
        }
        deploymentProperties["parameters"] = echoed;
        return expressions;
    }

    private List<DeploymentTarget> Plan(JsonObject template, TemplateExpressions expressions, string subscription, string resourceGroup, string defaultLocation)
    {
        var resources = template["resources"] as JsonArray ?? throw new TemplateException("The template has no resources array.");
        var targets = new List<(DeploymentTarget Target, List<string> DependsOn)>();
        foreach (var raw in resources)
        {
            if (raw is not JsonObject definition)
            {
                throw new TemplateException("Each template resource must be an object.");
            }
            foreach (var unsupported in new[] { "copy", "resources", "scope" })
            {
                if (definition[unsupported] != null)
                {
                    throw new TemplateException($"The resource property '{unsupported}' is not supported by the fabric.", unsupported: true);
                }
            }
            var evaluated = (JsonObject)expressions.Evaluate(definition)!;
            if (evaluated["condition"] is JsonValue condition && condition.GetValueKind() == JsonValueKind.False)
            {
                continue;
            }
            var type = evaluated["type"]?.GetValue<string>() ?? throw new TemplateException("A template resource has no type.");
            var name = evaluated["name"]?.GetValue<string>() ?? throw new TemplateException($"A resource of type '{type}' has no name.");
            if (type.Split('/').Length - 1 != name.Split('/').Length)
            {
                throw new TemplateException($"The resource name '{name}' does not fit its type '{type}'.");
            }
            if (!_routes.Deployers.Any(d => d.CanDeploy(type)))
            {
                throw new TemplateException($"The resource type '{type}' cannot be deployed by the fabric.", unsupported: true);
            }
            var location = evaluated["location"]?.GetValue<string>() ?? defaultLocation;
            var dependsOn = (evaluated["dependsOn"] as JsonArray ?? new JsonArray()).Select(d => d!.GetValue<string>()).ToList();
            targets.Add((new DeploymentTarget(subscription, resourceGroup, type, name, location, evaluated), dependsOn));
        }
        return Order(targets);
    }

    /// <summary>Template order, except that a resource comes after what it depends on (explicitly or as a child of a parent).</summary>
    private static List<DeploymentTarget> Order(List<(DeploymentTarget Target, List<string> DependsOn)> targets)
    {
        bool Matches(DeploymentTarget t, string reference) =>
            string.Equals(t.Id, reference, StringComparison.OrdinalIgnoreCase)
            || t.Id.EndsWith("/" + reference, StringComparison.OrdinalIgnoreCase)
            || string.Equals(t.Name, reference, StringComparison.OrdinalIgnoreCase);

        var ordered = new List<DeploymentTarget>();
        var visiting = new HashSet<DeploymentTarget>();
        void Visit(DeploymentTarget target, List<string> dependsOn)
        {
            if (ordered.Contains(target))
            {
                return;
            }
            if (!visiting.Add(target))
            {
                throw new TemplateException($"Circular dependency involving '{target.Type}/{target.Name}'.");
            }
            foreach (var (other, otherDeps) in targets)
            {
                var isParent = target.Id.StartsWith(other.Id + "/", StringComparison.OrdinalIgnoreCase);
                if (!ReferenceEquals(other, target) && (isParent || dependsOn.Any(d => Matches(other, d))))
                {
                    Visit(other, otherDeps);
                }
            }
            visiting.Remove(target);
            ordered.Add(target);
        }
        foreach (var (target, dependsOn) in targets)
        {
            Visit(target, dependsOn);
        }
        return ordered;
    }

    private static JsonObject Outputs(JsonObject template, TemplateExpressions expressions)
    {
        var outputs = new JsonObject();
        foreach (var pair in template["outputs"] as JsonObject ?? new JsonObject())
        {
            outputs[pair.Key] = new JsonObject
            {
                ["type"] = pair.Value?["type"]?.DeepClone() ?? "String",
                ["value"] = expressions.Evaluate(pair.Value?["value"]),
            };
        }
        return outputs;
    }

    private static JsonArray Providers(List<DeploymentTarget> plan) =>
        new JsonArray(plan.GroupBy(t => t.Type.Split('/')[0], StringComparer.OrdinalIgnoreCase).Select(g => (JsonNode?)new JsonObject
        {
            ["namespace"] = g.Key,
            ["resourceTypes"] = new JsonArray(g.GroupBy(t => t.Type.Substring(g.Key.Length + 1), StringComparer.OrdinalIgnoreCase).Select(t => (JsonNode?)new JsonObject
            {
                ["resourceType"] = t.Key,
                ["locations"] = new JsonArray(t.Select(x => ArmStore.NormalizeRegion(x.Location)).Distinct().Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
            }).ToArray()),
        }).ToArray());

    private static string TemplateHash(JsonObject template)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(template.ToJsonString()));
        return BitConverter.ToUInt64(hash, 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
