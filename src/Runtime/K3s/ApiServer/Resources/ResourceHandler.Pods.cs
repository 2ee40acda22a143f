using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// The pod subresources that act rather than store, as kube-apiserver's pod registry serves them.
/// <b>binding</b> (<c>pods/binding</c>, and the <c>bindings</c> resource the scheduler may use instead) assigns an
/// unassigned pod to a node: it sets <c>spec.nodeName</c>, marks the PodScheduled condition True and merges the
/// binding's annotations; a pod already assigned, or being deleted, is a 409. <b>eviction</b>
/// (<c>pods/eviction</c>, policy/v1) deletes a pod unless the one PodDisruptionBudget selecting it allows no
/// disruption (429 with kube-apiserver's DisruptionBudget cause); an allowed eviction is counted in the budget's
/// status, as the disruption controller expects. Both answer 201 with a Success <c>Status</c>.
/// </summary>
internal sealed partial class ResourceHandler
{
    private static readonly ResourceKind Pods = new(string.Empty, "pods", true);
    private static readonly ResourceKind DisruptionBudgets = new("policy", "poddisruptionbudgets", true);

    /// <summary><c>POST .../pods/{name}/binding</c>, or <c>POST .../bindings</c> with the pod's name in the body.</summary>
    public async Task BindAsync(HttpContext context, RequestInfo info, CancellationToken ct)
    {
        if (context.Request.Method != "POST")
        {
            throw ApiErrors.MethodNotSupported(string.Empty, info.Subresource.Length > 0 ? "pods/binding" : "bindings", info.Verb);
        }

        var binding = await ReadBodyAsync(context, ct);
        var name = Validation.JsonFields.AsString(binding["metadata"]?["name"]) ?? string.Empty;
        if (info.Subresource == "binding" && name != info.Name)
        {
            throw ApiErrors.BadRequest("name in URL does not match name in Binding object");
        }

        var podName = info.Subresource == "binding" ? info.Name : name;
        var target = binding["target"] as JsonObject;
        var node = Validation.JsonFields.AsString(target?["name"]) ?? string.Empty;
        if (Validation.JsonFields.AsString(target?["kind"]) is { Length: > 0 } targetKind && targetKind != "Node")
        {
            throw ApiErrors.Invalid(string.Empty, "Binding", podName, [new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{targetKind}\": supported values: \"Node\", \"<empty>\"", "target.kind")]);
        }

        if (node.Length == 0)
        {
            throw ApiErrors.Invalid(string.Empty, "Binding", podName, [new StatusCause("FieldValueRequired", "Required value", "target.name")]);
        }

        var annotations = binding["metadata"]?["annotations"] as JsonObject;
        await storage.UpdateAsync(Pods, info.Namespace, podName, null, pod =>
        {
            var meta = (JsonObject)pod["metadata"]!;
            if (meta["deletionTimestamp"] is not null)
            {
                throw ApiErrors.Conflict(string.Empty, "pods/binding", podName, $"pod {podName} is being deleted, cannot be assigned to a host");
            }

            if (pod["spec"] is not JsonObject spec)
            {
                pod["spec"] = spec = [];
            }

            if (spec["nodeName"]?.GetValue<string>() is { Length: > 0 } assigned)
            {
                throw ApiErrors.Conflict(string.Empty, "pods/binding", podName, $"pod {podName} is already assigned to node \"{assigned}\"");
            }

            spec["nodeName"] = node;
            if (annotations is { Count: > 0 })
            {
                var podAnnotations = meta["annotations"] as JsonObject;
                if (podAnnotations is null)
                {
                    meta["annotations"] = podAnnotations = [];
                }

                foreach (var (key, value) in annotations)
                {
                    podAnnotations[key] = value?.DeepClone();
                }
            }

            SetScheduled(pod);
            return pod;
        }, ct);
        await WriteAsync(context, 201, Success(201));
    }

    private async Task EvictAsync(HttpContext context, RequestInfo info, CancellationToken ct)
    {
        if (context.Request.Method != "POST")
        {
            throw ApiErrors.MethodNotSupported(string.Empty, "pods/eviction", info.Verb);
        }

        var eviction = await ReadBodyAsync(context, ct);
        if (Validation.JsonFields.AsString(eviction["metadata"]?["name"]) is { } name && name != info.Name)
        {
            throw ApiErrors.BadRequest("name in URL does not match name in Eviction object");
        }

        var dryRun = IsDryRun(context, eviction["deleteOptions"] as JsonObject);
        var pod = (await storage.GetAsync(Pods, info.Namespace, info.Name, ct)).Object;
        var phase = pod["status"]?["phase"]?.GetValue<string>();
        var exempt = phase is "Succeeded" or "Failed" or "Pending" || pod["metadata"]?["deletionTimestamp"] is not null;
        if (!exempt)
        {
            var budgets = (await storage.ListAsync(DisruptionBudgets, info.Namespace, 0, null, 0, ct)).Items
                .Where(b => b["spec"]?["selector"] is JsonObject selector && LabelSelector.Parse(LabelSelector.Format(selector)).Matches(pod))
                .ToList();
            if (budgets.Count > 1)
            {
                throw ApiErrors.Internal("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
            }

            if (budgets.Count == 1)
            {
                await ChargeBudgetAsync(budgets[0], info.Name, dryRun, ct);
            }
        }

        await DeleteObjectAsync(ResourcePods, Pods, info.Namespace, info.Name, null, null, dryRun, ct);
        await WriteAsync(context, 201, Success(201));
    }

    /// <summary>
    /// Takes one disruption from the budget, or refuses the eviction with 429 as kube-apiserver does. A dry run is
    /// refused alike but takes nothing.
    /// </summary>
    private async Task ChargeBudgetAsync(JsonObject budget, string pod, bool dryRun, CancellationToken ct)
    {
        var budgetName = budget["metadata"]!["name"]!.GetValue<string>();
        var ns = budget["metadata"]!["namespace"]!.GetValue<string>();
        if (dryRun)
        {
            CheckBudget(budget, budgetName);
            return;
        }

        await storage.UpdateAsync(DisruptionBudgets, ns, budgetName, null, current =>
        {
            var status = CheckBudget(current, budgetName);
            status["disruptionsAllowed"] = status["disruptionsAllowed"]!.GetValue<long>() - 1;
            if (status["disruptedPods"] is not JsonObject disrupted)
            {
                status["disruptedPods"] = disrupted = [];
            }

            disrupted[pod] = ObjectDefaults.Timestamp(time.GetUtcNow());
            return current;
        }, ct);
    }

    /// <summary>The budget's status when it allows one more disruption; otherwise the 429 kube-apiserver answers.</summary>
    private static JsonObject CheckBudget(JsonObject current, string budgetName)
    {
        var generation = current["metadata"]?["generation"]?.GetValue<long>() ?? 0;
        var status = current["status"] as JsonObject;
        var observed = status?["observedGeneration"]?.GetValue<long>() ?? 0;
        if (status is null || observed < generation)
        {
            throw TooManyRequests($"The disruption budget {budgetName} is still being processed by the server.", retryAfterSeconds: 10);
        }

        var allowed = status["disruptionsAllowed"]?.GetValue<long>() ?? 0;
        if (allowed <= 0)
        {
            var desired = status["desiredHealthy"]?.GetValue<long>() ?? 0;
            var healthy = status["currentHealthy"]?.GetValue<long>() ?? 0;
            throw TooManyRequests($"The disruption budget {budgetName} needs {desired} healthy pods and has {healthy} currently", retryAfterSeconds: null);
        }

        return status;
    }

    private static ApiResource ResourcePods { get; } = ApiResourceCatalog.BuiltIn.First(r => r.Group.Length == 0 && r.Name == "pods");

    /// <summary>
    /// kube-apiserver's refusal. Only a budget the controller has yet to process suggests a retry (10 s); a spent
    /// budget suggests none, so clients such as <c>kubectl drain</c> apply their own retry delay instead of client-go
    /// waiting on a Retry-After header.
    /// </summary>
    private static ApiStatusException TooManyRequests(string cause, int? retryAfterSeconds) =>
        new(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", causes: [new StatusCause("DisruptionBudget", cause, string.Empty)], retryAfterSeconds: retryAfterSeconds);

    private void SetScheduled(JsonObject pod)
    {
        if (pod["status"] is not JsonObject status)
        {
            pod["status"] = status = [];
        }

        if (status["conditions"] is not JsonArray conditions)
        {
            status["conditions"] = conditions = [];
        }

        var scheduled = conditions.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == "PodScheduled");
        if (scheduled is null)
        {
            scheduled = new JsonObject { ["type"] = "PodScheduled" };
            conditions.Add((JsonNode)scheduled);
        }

        scheduled["status"] = "True";
        scheduled["lastProbeTime"] = null;
        scheduled["lastTransitionTime"] = ObjectDefaults.Timestamp(time.GetUtcNow());
        scheduled.Remove("reason");
        scheduled.Remove("message");
    }

    private static JsonObject Success(int code) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["code"] = code,
    };
}
