using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Admission;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Authorization;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Extensions;
using K3sLab.K3s.ApiServer.Resources.Apply;
using K3sLab.K3s.ApiServer.Resources.Certificates;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Protobuf;
using K3sLab.K3s.ApiServer.Resources.Defaults;
using K3sLab.K3s.ApiServer.Resources.Versions;
using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.ApiServer.Resources;

internal sealed partial class ResourceHandler
{
    private static readonly ResourceKind StorageClasses = new("storage.k8s.io", "storageclasses", false);

    private async Task CreateAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, CancellationToken ct)
    {
        if (info.Name.Length > 0 || info.Subresource.Length > 0)
        {
            throw ApiErrors.MethodNotSupported(info.Group, info.Resource, "create");
        }

        var body = await ReadBodyAsync(context, ct);
        await CreateObjectAsync(context, info, resource, kind, body, ct);
    }

    /// <summary>Creates the decoded object: field checks, defaults, validation, then the store; shared with server-side apply.</summary>
    private async Task CreateObjectAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, JsonObject body, CancellationToken ct)
    {
        FieldValidation.Check(context, resource, body);
        ObjectDefaults.CheckBody(body, resource.Kind, resource.GroupVersion, info.Namespace, resource.Namespaced);
        body = ServedVersions.ToStorage(resource, body);
        var metadata = (JsonObject)body["metadata"]!;
        BuiltinDefaults.Apply(resource.Group, resource.Kind, body, creating: true);
        ExtensionRules.Check(resource, body);
        if (resource is { Group: "", Name: "pods" })
        {
            // Mutating admission runs before validation: NamespaceLifecycle, then ServiceAccount.
            await RequireNamespaceAsync(info.Namespace, ct);
            await AdmitServiceAccountAsync(info.Namespace, body, ct);
        }
        else if (resource is { Group: "", Name: "persistentvolumeclaims" or "persistentvolumes" })
        {
            // Mutating admission: DefaultStorageClass, then StorageObjectInUseProtection.
            if (resource.Name == "persistentvolumeclaims" && DefaultStorageClass.NeedsClass(body))
            {
                var classes = await storage.ListAsync(StorageClasses, string.Empty, 0, null, 0, ct);
                DefaultStorageClass.Admit(body, DefaultStorageClass.Choose(classes.Items));
            }

            StorageProtection.Admit(resource.Name, body);
        }

        if (IsCertificateRequest(resource))
        {
            // The requester is whoever sends the request, whatever the body says.
            CertificateSigningRequestStrategy.PrepareCreate(body, context.Items[UserInfo.ItemKey] as UserInfo);
        }

        ObjectValidation.Validate(resource, body, old: null);
        if (IsCertificateRequest(resource) && SubjectRestriction.Check(body) is { } refusal)
        {
            throw ApiErrors.ForbiddenObject(resource.Group, resource.Name, metadata["name"]?.GetValue<string>() ?? string.Empty, refusal);
        }

        NodeRestriction.CheckCreate(context.Items[UserInfo.ItemKey] as UserInfo, resource, info.Namespace, body);
        RbacEscalation.Check(context.Items[UserInfo.ItemKey] as UserInfo, resource, info.Namespace, body, policy);

        if (resource.Namespaced)
        {
            await RequireNamespaceAsync(info.Namespace, ct);
        }

        // kube's CSR strategy keeps no generation, though the kind has a spec.
        var name = ObjectDefaults.PrepareCreate(metadata, time.GetUtcNow(), resource.Custom is not null || (body["spec"] is not null && resource.Name != "namespaces" && !IsCertificateRequest(resource)));
        if (resource is { Group: "batch", Name: "jobs" })
        {
            JobSelectors.Generate(body);
        }

        if (resource.Name == "namespaces")
        {
            // kube-apiserver labels every namespace with its name and starts it Active.
            var labels = metadata["labels"] as JsonObject ?? [];
            labels["kubernetes.io/metadata.name"] = name;
            metadata["labels"] = labels;
            body["spec"] ??= new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
            body["status"] = new JsonObject { ["phase"] = "Active" };
        }

        if (IsDryRun(context))
        {
            await WriteAsync(context, 201, ServedVersions.ToServed(resource, body));
            return;
        }

        var created = resource is { Group: "", Name: "services" }
            ? await services.CreateAsync(body, () => storage.CreateAsync(kind, info.Namespace, name, body, ct), ct)
            : await storage.CreateAsync(kind, info.Namespace, name, body, ct);
        await WriteAsync(context, 201, ServedVersions.ToServed(resource, created.Object));
    }

    private async Task UpdateAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, CancellationToken ct)
    {
        var body = await ReadBodyAsync(context, ct);
        FieldValidation.Check(context, resource, body);
        ObjectDefaults.CheckBody(body, resource.Kind, resource.GroupVersion, info.Namespace, resource.Namespaced);
        body = ServedVersions.ToStorage(resource, body);
        var metadata = (JsonObject)body["metadata"]!;
        BuiltinDefaults.Apply(resource.Group, resource.Kind, body, creating: false);
        ExtensionRules.Check(resource, body);
        var bodyName = metadata["name"]?.GetValue<string>();
        if (bodyName != info.Name)
        {
            throw ApiErrors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({info.Name})");
        }

        long? expected = ParseLong(metadata["resourceVersion"]?.GetValue<string>(), "metadata.resourceVersion");
        await WriteUpdatedAsync(context, info, resource, kind, expected, current =>
        {
            // A uid in the body is a precondition, as kube-apiserver treats it: the object was not replaced meanwhile.
            if (metadata["uid"]?.GetValue<string>() is { Length: > 0 } uid && current["metadata"]?["uid"]?.GetValue<string>() is { } stored && uid != stored)
            {
                throw ApiErrors.Conflict(resource.Group, resource.Name, info.Name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {stored}");
            }

            return body;
        }, ct);
    }

    private async Task PatchAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, CancellationToken ct)
    {
        var contentType = context.Request.ContentType ?? string.Empty;
        if (contentType.Split(';')[0].Trim() == ServerSideApply.MediaType)
        {
            await ApplyAsync(context, info, resource, kind, ct);
            return;
        }

        if (resource.Custom is not null && contentType.Split(';')[0].Trim() == Patches.StrategicMergePatchType)
        {
            // Custom resources have no patch strategies: kube-apiserver refuses the type before reading the body.
            throw new ApiStatusException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: {Patches.JsonPatch}, {Patches.MergePatch}, {ServerSideApply.MediaType}");
        }

        var patch = await ReadPatchAsync(context, ct);

        long? expected = patch is JsonObject { } merge && merge["metadata"] is JsonObject meta && meta["resourceVersion"] is JsonValue v
            ? ParseLong(v.TryGetValue<string>(out var text) ? text : v.ToJsonString(), "metadata.resourceVersion")
            : null;
        await WriteUpdatedAsync(context, info, resource, kind, expected, current =>
        {
            // The patch applies to the object as the version asked for shows it (a v1 HPA patch names v1's fields).
            var patched = Patches.Apply(contentType, ServedVersions.ToServed(resource, current), patch, ProtoSchema.KindMessage(resource.Group, resource.Version, resource.Kind) ?? resource.Kind);
            FieldValidation.Check(context, resource, patched);
            ObjectDefaults.CheckBody(patched, resource.Kind, resource.GroupVersion, info.Namespace, resource.Namespaced);
            patched = ServedVersions.ToStorage(resource, patched);
            BuiltinDefaults.Apply(resource.Group, resource.Kind, patched, creating: false);
            ExtensionRules.Check(resource, patched);
            if (patched["metadata"]?["name"]?.GetValue<string>() != info.Name)
            {
                throw ApiErrors.BadRequest("a patch may not change the object's name");
            }

            return patched;
        }, ct);
    }

    /// <summary>Update and patch share this: apply, keep the server-owned fields, write guarded by the revision read, and finish a deletion once the last finalizer is gone.</summary>
    private async Task WriteUpdatedAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, long? expected, Func<JsonObject, JsonObject> change, CancellationToken ct)
    {
        var statusOnly = info.Subresource == "status";
        var hasStatus = resource.Subresources.Any(s => s.Name == "status");
        var custom = resource.Custom is not null;
        var allServices = resource is { Group: "", Name: "services" } && !statusOnly ? await services.ListAsync(ct) : null;
        JsonObject Updated(JsonObject current)
        {
            var changed = change((JsonObject)current.DeepClone());
            if (allServices is not null)
            {
                services.PrepareUpdate(changed, current, allServices);
            }

            RbacEscalation.Check(context.Items[UserInfo.ItemKey] as UserInfo, resource, info.Namespace, changed, policy);
            if (IsCertificateRequest(resource))
            {
                return UpdatedCertificateRequest(context, info, resource, current, changed);
            }

            if (!statusOnly)
            {
                ObjectValidation.Validate(resource, changed, current);
            }

            return ObjectDefaults.PrepareUpdate(current, changed, statusOnly, hasStatus, custom);
        }

        if (IsDryRun(context))
        {
            await WriteAsync(context, 200, ServedVersions.ToServed(resource, Updated((await storage.GetAsync(kind, info.Namespace, info.Name, ct)).Object)));
            return;
        }

        var updated = await storage.UpdateAsync(kind, info.Namespace, info.Name, expected, Updated, ct);
        var meta = updated.Object["metadata"] as JsonObject;
        // Removing the last finalizer completes a deletion; a pod still within its grace period waits for its kubelet.
        if (meta?["deletionTimestamp"] is not null && meta["finalizers"] is not JsonArray { Count: > 0 } && meta["deletionGracePeriodSeconds"]?.ToJsonString() is null or "0")
        {
            updated = await storage.DeleteAsync(kind, info.Namespace, info.Name, updated.ResourceVersion, ct);
        }

        await WriteAsync(context, 200, ServedVersions.ToServed(resource, updated.Object));
    }

    /// <summary>
    /// A CertificateSigningRequest's update through the object, <c>status</c> or <c>approval</c>: each keeps what the
    /// others own (kube's three strategies), is validated as its way in is, and approving or signing needs leave for
    /// the request's signer (CertificateApproval and CertificateSigning admission).
    /// </summary>
    private JsonObject UpdatedCertificateRequest(HttpContext context, RequestInfo info, ApiResource resource, JsonObject current, JsonObject changed)
    {
        var prepared = CertificateSigningRequestStrategy.PrepareUpdate(info.Subresource, current, changed, time.GetUtcNow());
        if (info.Subresource.Length == 0)
        {
            ObjectValidation.Validate(resource, prepared, current);
        }
        else
        {
            ObjectValidation.ValidateCertificateSigningRequest(resource, info.Subresource, prepared, current);
        }

        CertificateSignerAdmission.Check(context.Items[UserInfo.ItemKey] as UserInfo, info.Subresource, current, prepared, policy);
        return prepared;
    }

    private static bool IsCertificateRequest(ApiResource resource) => resource is { Group: "certificates.k8s.io", Name: "certificatesigningrequests" };

    private async Task DeleteAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, CancellationToken ct)
    {
        var options = context.Request.ContentLength > 0 ? await ReadBodyAsync(context, ct) : null;
        long? expected = ParseLong(options?["preconditions"]?["resourceVersion"]?.GetValue<string>(), "preconditions.resourceVersion");
        var expectedUid = options?["preconditions"]?["uid"]?.GetValue<string>();
        var propagation = DeletionPropagation.Requested(context.Request.Query["propagationPolicy"].ToString(), context.Request.Query["orphanDependents"].ToString(), options);
        await WriteAsync(context, 200, ServedVersions.ToServed(resource, await DeleteObjectAsync(resource, kind, info.Namespace, info.Name, expected, expectedUid, IsDryRun(context, options), ct, RequestedGracePeriod(context, options), propagation)));
    }

    /// <summary>
    /// Deletes the matching objects one by one, each as a single DELETE would (finalizers and admission included),
    /// and answers with the list of what was deleted; the first refusal ends the request with its status.
    /// </summary>
    private async Task DeleteCollectionAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, CancellationToken ct)
    {
        var options = context.Request.ContentLength > 0 ? await ReadBodyAsync(context, ct) : null;
        var propagation = DeletionPropagation.Requested(context.Request.Query["propagationPolicy"].ToString(), context.Request.Query["orphanDependents"].ToString(), options);
        var dryRun = IsDryRun(context, options);
        var list = await ListAsync(context, info, resource, kind, ct);
        var deleted = new JsonArray();
        foreach (var item in ((JsonArray)list["items"]!).OfType<JsonObject>())
        {
            var meta = (JsonObject)item["metadata"]!;
            try
            {
                deleted.Add((JsonNode)ServedVersions.ToServed(resource, await DeleteObjectAsync(resource, kind, meta["namespace"]?.GetValue<string>() ?? string.Empty, meta["name"]!.GetValue<string>(), null, null, dryRun, ct, RequestedGracePeriod(context, options), propagation)));
            }
            catch (ApiStatusException e) when (e.Code == 404)
            {
                // Deleted meanwhile: the collection is still going away.
            }
        }

        list["items"] = deleted;
        await WriteAsync(context, 200, list);
    }

    /// <summary>
    /// Deletes one object, or, while it has finalizers, marks it with a deletionTimestamp as kube-apiserver does. A
    /// namespace is deleted together with every object in it, in one revision (kube-apiserver does this through its
    /// namespace controller and a Terminating phase); the namespaces every cluster needs may not be deleted, as
    /// kube-apiserver's NamespaceLifecycle admission refuses. A <paramref name="propagation"/> policy first sets the
    /// garbage collector's finalizers (<see cref="DeletionPropagation"/>), which then keep the object while it works.
    /// </summary>
    private async Task<JsonObject> DeleteObjectAsync(ApiResource resource, ResourceKind kind, string ns, string name, long? expected, string? expectedUid, bool dryRun, CancellationToken ct, long? gracePeriod = null, string? propagation = null)
    {
        if (resource.Name == "namespaces" && resource.Group.Length == 0 && ImmortalNamespaces.Contains(name))
        {
            throw ApiErrors.ForbiddenObject(string.Empty, "namespaces", name, "this namespace may not be deleted");
        }

        var current = await storage.GetAsync(kind, ns, name, ct);
        if (expectedUid is not null && current.Object["metadata"]?["uid"]?.GetValue<string>() != expectedUid)
        {
            throw ApiErrors.Conflict(resource.Group, resource.Name, name, $"the UID in the precondition ({expectedUid}) does not match the UID in record ({current.Object["metadata"]?["uid"]}). The object might have been deleted and then recreated");
        }

        if (dryRun)
        {
            return current.Object;
        }

        var isNamespace = resource.Name == "namespaces" && resource.Group.Length == 0;
        if (!isNamespace && !ExtensionRules.IsDefinition(resource)
            && DeletionPropagation.Finalizers(current.Object["metadata"]?["finalizers"] as JsonArray, propagation) is { } finalizers)
        {
            current = await storage.UpdateAsync(kind, ns, name, expected, o =>
            {
                o["metadata"]!["finalizers"] = finalizers.DeepClone();
                return o;
            }, ct);
            expected = current.ResourceVersion;
        }

        if (resource is { Group: "", Name: "pods" } && await TryMarkPodForDeletionAsync(current, ns, name, expected, gracePeriod, ct) is { } terminating)
        {
            return terminating;
        }

        if (current.Object["metadata"]?["finalizers"] is JsonArray { Count: > 0 })
        {
            var marked = await storage.UpdateAsync(kind, ns, name, expected, o =>
            {
                var meta = (JsonObject)o["metadata"]!;
                meta["deletionTimestamp"] ??= ObjectDefaults.Timestamp(time.GetUtcNow());
                meta["deletionGracePeriodSeconds"] = 0;
                return o;
            }, ct);
            return marked.Object;
        }

        if (resource.Name == "namespaces" && resource.Group.Length == 0)
        {
            return await DeleteNamespaceAsync(name, expected, ct);
        }

        if (ExtensionRules.IsDefinition(resource))
        {
            return await DeleteDefinitionAsync(current, expected, ct);
        }

        return (await storage.DeleteAsync(kind, ns, name, expected, ct)).Object;
    }

    /// <summary>
    /// Deletes a CustomResourceDefinition together with every object of its kind, in one revision (kube-apiserver
    /// does this through a finalizer and a cleanup controller; the result is the same).
    /// </summary>
    private async Task<JsonObject> DeleteDefinitionAsync(StoredObject current, long? expected, CancellationToken ct)
    {
        var name = current.Object["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
        if (expected is { } e && e != current.ResourceVersion)
        {
            throw ApiErrors.Conflict(CrdResources.Group, "customresourcedefinitions", name);
        }

        var spec = current.Object["spec"] as JsonObject;
        var group = spec?["group"]?.GetValue<string>() ?? string.Empty;
        var plural = spec?["names"]?["plural"]?.GetValue<string>() ?? string.Empty;
        var prefixes = group.Length > 0 && plural.Length > 0 ? [new ResourceKind(group, plural, false).ListPrefix(string.Empty)] : Array.Empty<string>();
        var key = CrdResources.Kind.Key(string.Empty, name);
        var revision = await storage.DeleteTreeAsync(key, current.ResourceVersion, prefixes, ct)
            ?? throw ApiErrors.Conflict(CrdResources.Group, "customresourcedefinitions", name);
        var deleted = current.Object;
        deleted["metadata"]!["resourceVersion"] = Invariant(revision);
        return deleted;
    }

    private async Task<JsonObject> DeleteNamespaceAsync(string name, long? expected, CancellationToken ct)
    {
        var current = await storage.GetAsync(Namespaces, string.Empty, name, ct);
        if (expected is { } e && e != current.ResourceVersion)
        {
            throw ApiErrors.Conflict(string.Empty, "namespaces", name);
        }

        var prefixes = registry.All.Where(r => r.Namespaced && Serves(r)).Select(r => new ResourceKind(r.Group, r.Name, true).ListPrefix(name)).Distinct();
        var revision = await storage.DeleteTreeAsync(Namespaces.Key(string.Empty, name), current.ResourceVersion, prefixes, ct)
            ?? throw ApiErrors.Conflict(string.Empty, "namespaces", name);
        var deleted = current.Object;
        deleted["metadata"]!["resourceVersion"] = Invariant(revision);
        return deleted;
    }

    /// <summary>
    /// NamespaceLifecycle's existence check. Like kube-apiserver's, it reads what this server already has (its
    /// informer cache there, a serializable read here) and confirms a miss with a live, linearizable read, so a
    /// namespace created a moment ago through another server is found.
    /// </summary>
    private async Task RequireNamespaceAsync(string ns, CancellationToken ct)
    {
        if (await storage.TryGetLocalAsync(Namespaces, string.Empty, ns, ct) is not null)
        {
            return;
        }

        try
        {
            await storage.GetAsync(Namespaces, string.Empty, ns, ct);
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
            throw NamespaceNotFound(ns);
        }
    }

    private static bool IsDryRun(HttpContext context, JsonObject? options = null) => DryRunOption.Requested(context.Request.Method, context.Request.Query["dryRun"], options);
}
