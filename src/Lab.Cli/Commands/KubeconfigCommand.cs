using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab kubeconfig [--name c] [--merge [--switch-context] [--kubeconfig file]]</c>: prints the cluster's admin
/// kubeconfig (context <c>k3slab-&lt;c&gt;</c>); with <c>--merge</c> writes it into the user's kubeconfig instead
/// (<c>$KUBECONFIG</c>'s first file or <c>~/.kube/config</c>), which is touched only when asked.
/// </summary>
internal static class KubeconfigCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name", "-n") { Description = "The cluster", DefaultValueFactory = _ => "k3slab" };
        var merge = new Option<bool>("--merge") { Description = "Merge into your kubeconfig instead of printing (entries named k3slab-<name> are replaced; nothing else changes)" };
        var switchContext = new Option<bool>("--switch-context") { Description = "With --merge: make k3slab-<name> the current context (it is also set when none was)" };
        var target = new Option<string?>("--kubeconfig") { Description = "With --merge: the file to merge into (default: $KUBECONFIG's first file, else ~/.kube/config)" };
        var output = OutputFormat.CreateOption();
        var command = new Command("kubeconfig", "Print a cluster's kubeconfig, or merge it into yours with --merge");
        foreach (var option in new Option[] { name, merge, switchContext, target, output })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var cluster = parse.GetValue(name)!;
            LabNaming.ValidateClusterName(cluster);
            var json = parse.GetValue(output) == OutputFormat.Json;
            var path = ClusterKubeconfig.PathFor(cluster);
            if (!parse.GetValue(merge))
            {
                var text = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken) : throw new LabSetupException($"there is no kubeconfig for cluster '{cluster}' at {path}: is the cluster up ('k3slab list')?");
                Console.Write(json ? JsonSerializer.Serialize(new KubeconfigResult(cluster, $"k3slab-{cluster}", path, text, null), CliJsonContext.Default.KubeconfigResult) + Environment.NewLine : text);
                return 0;
            }

            var file = parse.GetValue(target) ?? ClusterKubeconfig.UserPath();
            var context = await ClusterKubeconfig.MergeIntoAsync(cluster, file, parse.GetValue(switchContext), cancellationToken);
            Console.WriteLine(json ? JsonSerializer.Serialize(new KubeconfigResult(cluster, context, path, null, file), CliJsonContext.Default.KubeconfigResult) : $"merged context {context} into {file}");
            return 0;
        });
        return command;
    }
}
