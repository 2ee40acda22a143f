using System.Net;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// A failed request's error as client-go's REST client words it, since upstream's messages embed it: a 404 or an
/// answer that is not a Kubernetes <c>Status</c> becomes apimachinery's generic text with the verb and resource
/// (<c>the server could not find the requested resource (get pods.metrics.k8s.io)</c>); a <c>Status</c> keeps its
/// own message (<c>deployments.apps "web" not found</c>). Pure.
/// </summary>
internal static class ClientErrors
{
    /// <summary>
    /// The error of <paramref name="verb"/> on <paramref name="resource"/> (<c>pods.metrics.k8s.io</c>) answered
    /// with <paramref name="status"/>; <paramref name="statusMessage"/> is the body's <c>Status</c> message, if any.
    /// </summary>
    public static string Describe(HttpStatusCode status, string? statusMessage, string verb, string resource)
    {
        if (status != HttpStatusCode.NotFound && !string.IsNullOrEmpty(statusMessage))
        {
            return statusMessage;
        }

        var message = (int)status switch
        {
            409 => "the server reported a conflict",
            404 => "the server could not find the requested resource",
            400 => "the server rejected our request for an unknown reason",
            401 => "the server has asked for the client to provide credentials",
            403 => "the server does not allow access to the requested resource",
            405 => "the server does not allow this method on the requested resource",
            406 => "the server was unable to respond with a content type that the client supports",
            415 => "the server was unable to handle the content type of the request",
            422 => "the server rejected our request due to an error in our request",
            429 => "the server has received too many requests and has asked us to try again later",
            503 => "the server is currently unable to handle the request",
            504 => "the server was unable to return a response in the time allotted, but may still be processing the request",
            >= 500 => $"an error on the server (\"{statusMessage ?? "unknown"}\") has prevented the request from succeeding",
            _ => $"the server responded with the status code {(int)status} but did not return more information",
        };
        return $"{message} ({verb} {resource})";
    }

    /// <summary>The apiserver's NotFound message for an object (<c>deployments.apps "web" not found</c>).</summary>
    public static string NotFound(string group, string resource, string name) =>
        $"{(group.Length == 0 ? resource : $"{resource}.{group}")} \"{name}\" not found";
}
