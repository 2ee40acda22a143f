using System.Globalization;
using System.Text;

namespace K3sLab.K3s.Proxy;

/// <summary>
/// The pure rule writer: <c>iptables-restore --noflush</c> input for the filter and nat tables, laid out as
/// kube-proxy's iptables mode lays them out (chain names, comments, the 0x4000 masquerade mark), so a user who knows
/// kube-proxy can read a node's <c>iptables-save</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>nat <c>KUBE-SERVICES</c>: per cluster IP and port, a jump to the service port's <c>KUBE-SVC-</c> chain, and
/// last, for local destinations other than loopback, <c>KUBE-NODEPORTS</c>.</item>
/// <item><c>KUBE-SVC-</c> picks an endpoint chain at random with equal shares (<c>-m statistic</c>, probabilities
/// 1/n, 1/(n-1), ... as kube-proxy writes them); <c>KUBE-SEP-</c> DNATs to the endpoint.</item>
/// <item>With <c>sessionAffinity: ClientIP</c>, <c>KUBE-SVC-</c> first sends a client address back to the endpoint
/// whose <c>-m recent</c> list saw it within the timeout, and each <c>KUBE-SEP-</c> adds the source to its list.</item>
/// <item>Node ports, load balancer addresses and <c>spec.externalIPs</c> go through <c>KUBE-EXT-</c>, which marks the
/// connection for masquerading so an endpoint on another node answers through this one.</item>
/// <item>A LoadBalancer Service with source ranges sends its load balancer addresses through <c>KUBE-FW-</c>, which
/// passes sources in the ranges on to <c>KUBE-EXT-</c>; the filter table's <c>KUBE-PROXY-FIREWALL</c> drops new
/// connections that are still addressed to a load balancer address and port, the ones it let pass untranslated.
/// Node ports and external IPs are not filtered, as in kube-proxy.</item>
/// <item>A port without endpoints is rejected in the filter table, so the client sees "connection refused" at once
/// rather than a timeout (a TCP port with a reset where kube-proxy sends <c>icmp-port-unreachable</c>: see
/// <see cref="RejectWith"/>).</item>
/// </list>
/// Pods share their node's network here, so the hairpin and pod-CIDR masquerade rules kube-proxy adds for bridged
/// pods have nothing to do and are left out. Every chain written is declared, which flushes it; per-service chains of
/// the stale chains given are flushed and deleted.
/// </remarks>
internal static class ProxyRules
{
    public const string MasqueradeMark = "0x4000";

    /// <summary>The filter chain that drops what a load balancer firewall (<c>KUBE-FW-</c>) let through untranslated.</summary>
    public const string FirewallChain = "KUBE-PROXY-FIREWALL";

    /// <summary>The jumps from the built-in chains into the proxy's, as (table, chain, rule arguments).</summary>
    public static IReadOnlyList<(string Table, string Chain, string[] Rule)> Jumps { get; } =
    [
        ("filter", "INPUT", ["-m", "comment", "--comment", "kubernetes externally-visible service portals", "-j", "KUBE-EXTERNAL-SERVICES"]),
        ("filter", "INPUT", ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "kubernetes load balancer firewall", "-j", FirewallChain]),
        ("filter", "FORWARD", ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "kubernetes load balancer firewall", "-j", FirewallChain]),
        ("filter", "OUTPUT", ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "kubernetes load balancer firewall", "-j", FirewallChain]),
        ("filter", "FORWARD", ["-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"]),
        ("filter", "OUTPUT", ["-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"]),
        ("nat", "PREROUTING", ["-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"]),
        ("nat", "OUTPUT", ["-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"]),
        ("nat", "POSTROUTING", ["-m", "comment", "--comment", "kubernetes postrouting rules", "-j", "KUBE-POSTROUTING"]),
    ];

    /// <summary>
    /// The <c>iptables-restore</c> inputs that take the tables from the reject rules in place (<paramref name="rejecting"/>,
    /// as <see cref="RejectRules"/> or <see cref="SavedRejectRules"/> give them) to <paramref name="rules"/>, in order.
    /// </summary>
    /// <remarks>
    /// <c>iptables-restore</c> commits each table on its own, the filter table first, so for a moment the filter table
    /// is new and the nat table old. A port that gains its first endpoint must not lose its reject before its DNAT is in
    /// place: in that moment its traffic would be neither refused nor translated and would leave the node for the
    /// cluster IP itself (on a host whose gateway answers any address, a stranger answers it). So a reject still in
    /// place is kept in the first write and dropped by a second, filter-only one. Keeping it meanwhile is harmless:
    /// a reject matches the cluster IP, load balancer address or node port, and a translated connection no longer has
    /// it. A port that loses its last endpoint needs no second write: its reject is committed before its DNAT goes.
    /// </remarks>
    public static IReadOnlyList<string> Writes(IReadOnlyList<ServicePortRule> rules, IReadOnlyCollection<string> rejecting, IEnumerable<string> staleChains)
    {
        var rejects = RejectRules(rules);
        var lingering = rejecting.Except(rejects, StringComparer.Ordinal).ToList();
        var first = Build(rules, staleChains, lingering);
        return lingering.Count == 0 ? [first] : [first, Filter([.. rejects], FirewallRules(rules))];
    }

    public static string Build(IReadOnlyList<ServicePortRule> rules, IEnumerable<string> staleChains) => Build(rules, staleChains, []);

    /// <summary>
    /// The filter table's rules for <paramref name="rules"/>' ports that have nowhere to send a connection, in restore
    /// syntax: a port without endpoints is rejected ("has no endpoints"); one whose <c>Local</c> traffic policy finds
    /// none on this node drops the connection ("has no local endpoints"), as kube-proxy does, so a client or a cloud
    /// balancer's health check tries another node rather than hearing a refusal.
    /// </summary>
    public static List<string> RejectRules(IReadOnlyList<ServicePortRule> rules)
    {
        var lines = new List<string>();
        foreach (var rule in rules)
        {
            var match = Match(rule);
            var (comment, target) = rule.Endpoints.Count == 0
                ? ($"{rule.ServicePortName} has no endpoints", $"REJECT --reject-with {RejectWith(rule)}")
                : ($"{rule.ServicePortName} has no local endpoints", "DROP");
            if (!rule.HasInternalEndpoints)
            {
                foreach (var ip in rule.ClusterIps)
                {
                    lines.Add($"-A KUBE-SERVICES -d {ip}/32 {match} --dport {rule.Port.ToString(CultureInfo.InvariantCulture)} -m comment --comment \"{comment}\" -j {target}");
                }
            }

            if (rule.HasExternalEndpoints)
            {
                continue;
            }

            foreach (var ip in rule.ExternalIps.Concat(rule.LoadBalancerIps).Distinct())
            {
                lines.Add($"-A KUBE-EXTERNAL-SERVICES -d {ip}/32 {match} --dport {rule.Port.ToString(CultureInfo.InvariantCulture)} -m comment --comment \"{comment}\" -j {target}");
            }

            if (rule.NodePort is { } closed)
            {
                lines.Add($"-A KUBE-EXTERNAL-SERVICES -m addrtype --dst-type LOCAL {match} --dport {closed.ToString(CultureInfo.InvariantCulture)} -m comment --comment \"{comment}\" -j {target}");
            }
        }

        return lines;
    }

    /// <summary>
    /// The filter table's <c>KUBE-PROXY-FIREWALL</c> rules: a new connection to a load balancer address and port of a
    /// Service with source ranges that is still addressed to it here was not translated by its <c>KUBE-FW-</c> chain,
    /// so its source is outside the ranges, and it is dropped, as kube-proxy drops it.
    /// </summary>
    public static List<string> FirewallRules(IReadOnlyList<ServicePortRule> rules)
    {
        var lines = new List<string>();
        foreach (var rule in rules.Where(r => r.HasFirewall && r.HasExternalEndpoints))
        {
            foreach (var ip in rule.LoadBalancerIps)
            {
                lines.Add($"-A {FirewallChain} -d {ip}/32 {Match(rule)} --dport {rule.Port.ToString(CultureInfo.InvariantCulture)} -m comment --comment \"{rule.ServicePortName} traffic not accepted by {ProxyChainNames.Firewall(rule)}\" -j DROP");
            }
        }

        return lines;
    }

    /// <summary>
    /// The reject rules in the proxy's filter chains of an <c>iptables-save -t filter</c> output: what a restarted
    /// proxy finds in place before its first write (iptables-save words them its own way; they restore as they are).
    /// </summary>
    public static List<string> SavedRejectRules(string save) =>
        [.. save.Split('\n').Select(l => l.TrimEnd('\r'))
            .Where(l => (l.StartsWith("-A KUBE-SERVICES ", StringComparison.Ordinal) || l.StartsWith("-A KUBE-EXTERNAL-SERVICES ", StringComparison.Ordinal))
                && (l.Contains(" -j REJECT", StringComparison.Ordinal) || l.EndsWith(" -j DROP", StringComparison.Ordinal)))];

    /// <summary>
    /// A TCP port is refused with a reset, anything else with ICMP port unreachable. Pods share their node's network
    /// namespace here, so their connections are the node's own: the ICMP error the reject sends back arrives while
    /// <c>connect()</c> still holds the socket, Linux keeps it only as a soft error, and the caller is refused by the
    /// SYN's retransmission a second later. A reset is queued to the socket and refuses at once.
    /// </summary>
    private static string RejectWith(ServicePortRule rule) =>
        string.Equals(rule.Protocol, "TCP", StringComparison.OrdinalIgnoreCase) ? "tcp-reset" : "icmp-port-unreachable";

    private static string Match(ServicePortRule rule)
    {
        var proto = rule.Protocol.ToLowerInvariant();
        return $"-p {proto} -m {proto}";
    }

    private static string Filter(IReadOnlyList<string> rejects, IReadOnlyList<string> firewall)
    {
        var filter = new StringBuilder($"*filter\n:KUBE-SERVICES - [0:0]\n:KUBE-EXTERNAL-SERVICES - [0:0]\n:{FirewallChain} - [0:0]\n");
        foreach (var line in rejects.Concat(firewall))
        {
            filter.Append(line).Append('\n');
        }

        return filter.Append("COMMIT\n").ToString();
    }

    private static string Build(IReadOnlyList<ServicePortRule> rules, IEnumerable<string> staleChains, IReadOnlyList<string> lingering)
    {
        var chains = new StringBuilder();
        var nat = new StringBuilder();
        chains.Append("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-NODEPORTS - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n");
        nat.Append(CultureInfo.InvariantCulture, $"-A KUBE-MARK-MASQ -j MARK --or-mark {MasqueradeMark}\n");
        nat.Append(CultureInfo.InvariantCulture, $"-A KUBE-POSTROUTING -m mark ! --mark {MasqueradeMark}/{MasqueradeMark} -j RETURN\n");
        nat.Append(CultureInfo.InvariantCulture, $"-A KUBE-POSTROUTING -j MARK --xor-mark {MasqueradeMark}\n");
        nat.Append("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE\n");

        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (rule.Endpoints.Count == 0)
            {
                continue;
            }

            var match = Match(rule);
            var service = ProxyChainNames.Service(rule);
            var local = ProxyChainNames.LocalService(rule);
            Declare(chains, written, service);
            if (rule.HasInternalEndpoints)
            {
                foreach (var ip in rule.ClusterIps)
                {
                    nat.Append(CultureInfo.InvariantCulture, $"-A KUBE-SERVICES -d {ip}/32 {match} --dport {rule.Port} -m comment --comment \"{rule.ServicePortName} cluster IP\" -j {(rule.InternalLocal ? local : service)}\n");
                }
            }

            if (rule.HasExternalDestinations && rule.HasExternalEndpoints)
            {
                var external = ProxyChainNames.External(rule);
                Declare(chains, written, external);
                foreach (var ip in rule.ExternalIps)
                {
                    nat.Append(CultureInfo.InvariantCulture, $"-A KUBE-SERVICES -d {ip}/32 {match} --dport {rule.Port} -m comment --comment \"{rule.ServicePortName} external IP\" -j {external}\n");
                }

                var toLoadBalancer = external;
                if (rule.HasFirewall)
                {
                    // kube-proxy's firewall: a source in the ranges goes on to the external chain; anything else
                    // leaves the chain untranslated and KUBE-PROXY-FIREWALL drops it in the filter table.
                    toLoadBalancer = ProxyChainNames.Firewall(rule);
                    Declare(chains, written, toLoadBalancer);
                    foreach (var range in rule.SourceRanges)
                    {
                        nat.Append(CultureInfo.InvariantCulture, $"-A {toLoadBalancer} -m comment --comment \"{rule.ServicePortName} loadbalancer IP\" -s {range} -j {external}\n");
                    }

                    nat.Append(CultureInfo.InvariantCulture, $"-A {toLoadBalancer} -m comment --comment \"other traffic to {rule.ServicePortName} will be dropped by {FirewallChain}\"\n");
                }

                foreach (var ip in rule.LoadBalancerIps)
                {
                    nat.Append(CultureInfo.InvariantCulture, $"-A KUBE-SERVICES -d {ip}/32 {match} --dport {rule.Port} -m comment --comment \"{rule.ServicePortName} loadbalancer IP\" -j {toLoadBalancer}\n");
                }

                if (rule.NodePort is { } nodePort)
                {
                    nat.Append(CultureInfo.InvariantCulture, $"-A KUBE-NODEPORTS {match} --dport {nodePort} -m comment --comment {rule.ServicePortName} -j {external}\n");
                }

                if (rule.ExternalLocal)
                {
                    // Only this node's endpoints, without masquerading, so they see the client's address. The node's own
                    // connections are the exception: their source is a node address the endpoint could not answer
                    // through, so they are masqueraded and balanced over the whole cluster, as kube-proxy does.
                    nat.Append(CultureInfo.InvariantCulture, $"-A {external} -m comment --comment \"masquerade LOCAL traffic for {rule.ServicePortName} external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ\n");
                    nat.Append(CultureInfo.InvariantCulture, $"-A {external} -m comment --comment \"route LOCAL traffic for {rule.ServicePortName} external destinations\" -m addrtype --src-type LOCAL -j {service}\n");
                    nat.Append(CultureInfo.InvariantCulture, $"-A {external} -j {local}\n");
                }
                else
                {
                    nat.Append(CultureInfo.InvariantCulture, $"-A {external} -m comment --comment \"masquerade traffic for {rule.ServicePortName} external destinations\" -j KUBE-MARK-MASQ\n");
                    nat.Append(CultureInfo.InvariantCulture, $"-A {external} -j {service}\n");
                }
            }

            Balance(chains, nat, written, rule, service, rule.Endpoints);
            if ((rule.InternalLocal || (rule.ExternalLocal && rule.HasExternalDestinations)) && rule.LocalEndpoints.Count > 0)
            {
                Declare(chains, written, local);
                Balance(chains, nat, written, rule, local, rule.LocalEndpoints);
            }
        }

        nat.Append("-A KUBE-SERVICES -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -j KUBE-NODEPORTS\n");
        foreach (var stale in staleChains.Where(c => ProxyChainNames.IsPerService(c) && !written.Contains(c)).Order(StringComparer.Ordinal))
        {
            chains.Append(CultureInfo.InvariantCulture, $":{stale} - [0:0]\n");
            nat.Append(CultureInfo.InvariantCulture, $"-X {stale}\n");
        }

        nat.Append("COMMIT\n");
        return Filter([.. RejectRules(rules), .. lingering], FirewallRules(rules)) + chains.Append(nat);
    }

    /// <summary>
    /// A balancing chain (<c>KUBE-SVC-</c> over every endpoint, <c>KUBE-SVL-</c> over this node's): with session
    /// affinity, a client address seen by an endpoint's chain within the timeout goes back to it first; then each
    /// endpoint gets an equal random share. Each endpoint's <c>KUBE-SEP-</c> chain is written once, however many
    /// balancing chains lead to it.
    /// </summary>
    private static void Balance(StringBuilder chains, StringBuilder nat, HashSet<string> written, ServicePortRule rule, string balancer, IReadOnlyList<ProxyEndpoint> endpoints)
    {
        if (rule.AffinitySeconds is { } seconds)
        {
            foreach (var endpoint in endpoints)
            {
                var chain = ProxyChainNames.Endpoint(rule, endpoint);
                nat.Append(CultureInfo.InvariantCulture, $"-A {balancer} -m comment --comment \"{rule.ServicePortName} -> {endpoint}\" -m recent --name {chain} --mask 255.255.255.255 --rcheck --seconds {seconds} --reap -j {chain}\n");
            }
        }

        for (var i = 0; i < endpoints.Count; i++)
        {
            var endpoint = endpoints[i];
            var chain = ProxyChainNames.Endpoint(rule, endpoint);
            var share = i < endpoints.Count - 1
                ? string.Create(CultureInfo.InvariantCulture, $" -m statistic --mode random --probability {1.0 / (endpoints.Count - i):0.0000000000}")
                : string.Empty;
            nat.Append(CultureInfo.InvariantCulture, $"-A {balancer} -m comment --comment \"{rule.ServicePortName} -> {endpoint}\"{share} -j {chain}\n");
            if (written.Add(chain))
            {
                chains.Append(CultureInfo.InvariantCulture, $":{chain} - [0:0]\n");
                nat.Append(CultureInfo.InvariantCulture, $"-A {chain} {Match(rule)} -m comment --comment {rule.ServicePortName}{Remember(rule, chain)} -j DNAT --to-destination {endpoint}\n");
            }
        }
    }

    /// <summary>With session affinity, the endpoint chain's <c>-m recent</c> record of the client address.</summary>
    private static string Remember(ServicePortRule rule, string chain) =>
        rule.AffinitySeconds is null ? string.Empty : $" -m recent --set --name {chain} --mask 255.255.255.255 --rsource";

    private static void Declare(StringBuilder chains, HashSet<string> written, string chain)
    {
        if (written.Add(chain))
        {
            chains.Append(CultureInfo.InvariantCulture, $":{chain} - [0:0]\n");
        }
    }

    /// <summary>The chain names an <c>iptables-save -t nat</c> output declares.</summary>
    public static IEnumerable<string> DeclaredChains(string save) =>
        save.Split('\n').Where(l => l.StartsWith(':')).Select(l => l[1..].Split(' ')[0]);
}
