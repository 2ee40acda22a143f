using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;
using YamlDotNet.RepresentationModel;

namespace K3sLab.Scenarios.Chaos.Definitions;

/// <summary>The <c>join</c> step: its own keys, and what it may ask of the scenario's cluster.</summary>
public static partial class ScenarioParser
{
    /// <summary>
    /// Joins must fit the cluster: servers only where the datastore takes more than one (one server on SQLite takes
    /// none), and no more nodes of a role than the lab network has addresses for.
    /// </summary>
    private static void CheckJoins(ScenarioDefinition scenario)
    {
        var (servers, agents) = (scenario.Servers, scenario.Agents);
        foreach (var join in scenario.Steps.OfType<JoinStep>())
        {
            if (join.Servers > 0 && scenario.Datastore.Resolve(scenario.Servers) == LabDatastore.Sqlite)
            {
                throw new ScenarioFormatException($"{scenario.Source}:{join.Line}: join adds servers, and one server on SQLite cannot have more; start the cluster on the embedded store: cluster: {{servers: {scenario.Servers}, datastore: embedded}}");
            }

            (servers, agents) = (servers + join.Servers, agents + join.Agents);
            if (servers > NetworkPlan.MaxServers || agents > NetworkPlan.MaxAgents)
            {
                throw new ScenarioFormatException($"{scenario.Source}:{join.Line}: after this join the cluster would have {servers} servers and {agents} agents; the lab network has room for {NetworkPlan.MaxServers} servers and {NetworkPlan.MaxAgents} agents");
            }
        }
    }

    private sealed partial class Reader
    {
        /// <summary><c>join: {servers: 4, agents: 1}</c>; either count may be left out (0), not both.</summary>
        private JoinStep Join(int line, YamlNode value)
        {
            var m = value as YamlMappingNode ?? throw Error(value, "join takes {servers: N, agents: M}, e.g. '- join: {servers: 4}'");
            OnlyKeys(m, "servers", "agents");
            var servers = Int(m, "servers") ?? 0;
            var agents = Int(m, "agents") ?? 0;
            if (servers < 0 || agents < 0)
            {
                throw Error(m, $"join counts cannot be negative (servers: {servers}, agents: {agents})");
            }

            return servers + agents >= 1
                ? new JoinStep(line, servers, agents)
                : throw Error(m, "join adds at least one node: give servers: N or agents: M of 1 or more");
        }
    }
}
