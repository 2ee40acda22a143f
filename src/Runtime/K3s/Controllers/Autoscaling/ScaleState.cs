using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>What the controller reads of the target's autoscaling/v1 Scale: desired and current replicas, and the pods' selector.</summary>
internal readonly record struct ScaleState(int SpecReplicas, int StatusReplicas, string Selector)
{
    public static ScaleState Read(JsonObject scale) => new(
        (int)(scale.Obj("spec").Long("replicas") ?? 0),
        (int)(scale.Obj("status").Long("replicas") ?? 0),
        scale.Obj("status").Str("selector") ?? string.Empty);
}
