using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Tables;

namespace K3sLab.K3s.ApiServer.Extensions;

/// <summary>
/// What a CustomResourceDefinition says about one of its served versions: the definition's name, the version
/// objects are stored as, the structural schema (null when the version has none), the <c>kubectl get</c> columns
/// and whether <c>status</c> is a subresource.
/// </summary>
internal sealed record CustomResource(string DefinitionName, string StorageVersion, JsonObject? Schema, IReadOnlyList<TableColumn> Columns, bool StatusSubresource);
