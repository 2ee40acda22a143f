namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// One way a request can be auto-approved: what it must be (the recognizer), the
/// <c>certificatesigningrequests/&lt;subresource&gt;</c> create permission its requester must hold, and the
/// <c>Approved</c> condition's message.
/// </summary>
internal sealed record NodeClientRecognizer(string Subresource, string Message);
