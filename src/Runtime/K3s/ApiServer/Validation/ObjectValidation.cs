using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// kube-apiserver's validation of a built-in object, run once per create, update and patch after defaulting (as its
/// registry strategies run <c>Validate</c> and <c>ValidateUpdate</c>): every cause found, in kube-apiserver's order,
/// becomes one 422 <c>Invalid</c> status. Every kind gets its name (on create), labels and annotations checked; the
/// kinds users write by hand get their specs checked too: pods and pod templates, Deployments, ReplicaSets,
/// DaemonSets, StatefulSets, ReplicationControllers, Jobs, CronJobs, Services, ConfigMaps, Secrets, StorageClasses and
/// HorizontalPodAutoscalers (in their stored autoscaling/v2 shape) and CertificateSigningRequests. Status updates are
/// not validated here, except a CertificateSigningRequest's <c>status</c> and <c>approval</c> updates, which
/// <see cref="ValidateCertificateSigningRequest"/> checks.
/// </summary>
internal static class ObjectValidation
{
    /// <summary>Throws the 422 when <paramref name="obj"/> is invalid; <paramref name="old"/> is the stored object on update, null on create.</summary>
    public static void Validate(ApiResource resource, JsonObject obj, JsonObject? old)
    {
        var errors = Check(resource.Group, resource.Kind, resource.Name, obj, old);
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid(resource.Group, resource.Kind, obj.Obj("metadata").Str("name") ?? string.Empty, errors);
        }
    }

    /// <summary>The causes for an object of <paramref name="kind"/> (resource <paramref name="plural"/>), empty when it is valid.</summary>
    internal static FieldErrorList Check(string group, string kind, string plural, JsonObject obj, JsonObject? old)
    {
        var errors = new FieldErrorList();
        var metadata = obj.Obj("metadata");
        if (old is null && kind == "CertificateSigningRequest" && group == "certificates.k8s.io")
        {
            CertificateSigningRequestRules.Name(metadata, errors);
        }
        else if (old is null)
        {
            errors.AddRange(plural == "apiservices" ? ApiServiceRules.Name(obj) : NameValidation.Check(metadata.Str("name"), metadata.Str("generateName"), NameRule(plural)));
        }

        MetadataRules.LabelsAndAnnotations(metadata, errors);
        var (spec, oldSpec) = (obj.Obj("spec"), old.Obj("spec"));
        switch (group, kind)
        {
            case ("", "Pod"):
                if (old is not null)
                {
                    // ValidatePodUpdate revalidates the metadata, so its causes appear twice (once in the message).
                    MetadataRules.LabelsAndAnnotations(metadata, errors);
                }

                PodSpecRules.Pod(spec, errors, creating: old is null);
                if (old is not null && UpdateRules.PodContainers(spec, oldSpec, errors))
                {
                    UpdateRules.PodDeadline(spec, oldSpec, errors);
                }

                break;
            case ("", "PodTemplate"):
                PodSpecRules.TemplateSpec(obj.Obj("template"), "template", errors);
                break;
            case ("", "ReplicationController"):
                WorkloadRules.ReplicationController(spec, errors);
                break;
            case ("apps", "Deployment"):
                WorkloadRules.Deployment(spec, errors);
                SelectorImmutable(old, spec, oldSpec, errors);
                break;
            case ("apps", "ReplicaSet"):
                WorkloadRules.ReplicaSet(spec, errors);
                SelectorImmutable(old, spec, oldSpec, errors);
                break;
            case ("apps", "DaemonSet"):
                WorkloadRules.DaemonSet(spec, errors);
                SelectorImmutable(old, spec, oldSpec, errors);
                break;
            case ("apps", "StatefulSet"):
                WorkloadRules.StatefulSet(spec, errors);
                if (old is not null)
                {
                    UpdateRules.StatefulSetSpec(spec, oldSpec, errors);
                }

                break;
            case ("batch", "Job"):
                JobRules.Job(spec, errors);
                break;
            case ("batch", "CronJob"):
                JobRules.CronJob(spec, errors);
                break;
            case ("", "Service"):
                if (old is not null)
                {
                    UpdateRules.ClusterIPs(spec, oldSpec, errors);
                    MetadataRules.LabelsAndAnnotations(metadata, errors);
                }

                ServiceRules.Service(spec, errors, oldSpec.Str("type"));
                ServiceRules.SourceRangesAnnotation(spec, metadata.Obj("annotations"), errors);
                break;
            case ("", "ConfigMap"):
                if (old is not null)
                {
                    ConfigDataRules.ConfigMapUpdate(obj, old, errors);
                    MetadataRules.LabelsAndAnnotations(metadata, errors);
                }

                ConfigDataRules.ConfigMap(obj, errors);
                break;
            case ("autoscaling", "HorizontalPodAutoscaler"):
                HorizontalPodAutoscalerRules.Check(spec, oldSpec, errors);
                break;
            case ("apiregistration.k8s.io", "APIService"):
                ApiServiceRules.Spec(spec, errors);
                break;
            case ("storage.k8s.io", "StorageClass"):
                StorageClassRules.Check(obj, old, errors);
                break;
            case ("certificates.k8s.io", "CertificateSigningRequest"):
                CertificateSigningRequestRules.Check(obj, old, subresource: string.Empty, errors);
                break;
            case ("", "Secret"):
                if (old is not null)
                {
                    ConfigDataRules.SecretUpdate(obj, old, errors);
                    MetadataRules.LabelsAndAnnotations(metadata, errors);
                }

                ConfigDataRules.Secret(obj, errors);
                break;
        }

        return errors;
    }

    /// <summary>
    /// Throws the 422 when an update of a CertificateSigningRequest through <paramref name="subresource"/>
    /// (<c>status</c> or <c>approval</c>) is invalid: its metadata, the object's rules and what that subresource may
    /// change (<c>ValidateCertificateSigningRequestStatusUpdate</c>, <c>...ApprovalUpdate</c>). <paramref name="obj"/>
    /// is the object <c>CertificateSigningRequestStrategy.PrepareUpdate</c> returned, <paramref name="old"/> the stored one.
    /// </summary>
    public static void ValidateCertificateSigningRequest(ApiResource resource, string subresource, JsonObject obj, JsonObject old)
    {
        var errors = CheckCertificateSigningRequest(subresource, obj, old);
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid(resource.Group, resource.Kind, obj.Obj("metadata").Str("name") ?? string.Empty, errors);
        }
    }

    /// <summary>The causes <see cref="ValidateCertificateSigningRequest"/> reports, empty when the update is valid.</summary>
    internal static FieldErrorList CheckCertificateSigningRequest(string subresource, JsonObject obj, JsonObject old)
    {
        var errors = new FieldErrorList();
        MetadataRules.LabelsAndAnnotations(obj.Obj("metadata"), errors);
        CertificateSigningRequestRules.Check(obj, old, subresource, errors);
        return errors;
    }

    /// <summary>How a kind's object names are checked: namespaces are RFC 1123 labels, services RFC 1035 labels.</summary>
    internal static NameValidation.Rule NameRule(string plural) => plural switch
    {
        "namespaces" => NameValidation.Rule.Label,
        "services" => NameValidation.Rule.Dns1035Label,
        _ => NameValidation.Rule.Subdomain,
    };

    /// <summary>Deployments, ReplicaSets and DaemonSets keep their selector; their strategies check it after the spec.</summary>
    private static void SelectorImmutable(JsonObject? old, JsonObject? spec, JsonObject? oldSpec, FieldErrorList errors)
    {
        if (old is not null)
        {
            UpdateRules.SelectorImmutable(spec, oldSpec, errors);
        }
    }
}
