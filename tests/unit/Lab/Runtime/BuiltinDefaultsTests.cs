using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Defaults;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class BuiltinDefaultsTests
{
    [Fact]
    public void Deployment_GetsKubesWorkloadAndPodTemplateDefaults_KeepingWhatIsSet()
    {
        var deployment = JsonNode.Parse("""
            {"spec":{"replicas":0,"template":{"spec":{"containers":[{"name":"a","image":"busybox","ports":[{"containerPort":80}]},{"name":"b","image":"nginx:1.27"},{"name":"c","image":"x@sha256:abc","imagePullPolicy":"Never"}]}}}}
            """)!.AsObject();

        BuiltinDefaults.Apply("apps", "Deployment", deployment, creating: true);

        var spec = deployment["spec"]!;
        spec["replicas"]!.GetValue<int>().Should().Be(0, "an explicit zero is kept");
        spec["revisionHistoryLimit"]!.GetValue<int>().Should().Be(10);
        spec["progressDeadlineSeconds"]!.GetValue<int>().Should().Be(600);
        spec["strategy"]!.ToJsonString().Should().Be("""{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}}""");
        var pod = spec["template"]!["spec"]!;
        pod["restartPolicy"]!.GetValue<string>().Should().Be("Always");
        pod["dnsPolicy"]!.GetValue<string>().Should().Be("ClusterFirst");
        pod["terminationGracePeriodSeconds"]!.GetValue<int>().Should().Be(30);
        pod["schedulerName"]!.GetValue<string>().Should().Be("default-scheduler");
        pod["tolerations"].Should().BeNull("DefaultTolerationSeconds applies to pods, not templates");
        var containers = pod["containers"]!.AsArray();
        containers.Select(c => c!["imagePullPolicy"]!.GetValue<string>()).Should().Equal("Always", "IfNotPresent", "Never");
        containers[0]!["ports"]![0]!["protocol"]!.GetValue<string>().Should().Be("TCP");
        containers[0]!["terminationMessagePath"]!.GetValue<string>().Should().Be("/dev/termination-log");
    }

    [Fact]
    public void Pod_GetsNodeProblemTolerations_StatusAndQos()
    {
        var pod = JsonNode.Parse("""
            {"spec":{"tolerations":[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":5}],
                     "containers":[{"name":"a","image":"a:1","resources":{"requests":{"cpu":"1","memory":"1Gi"},"limits":{"cpu":"1","memory":"1Gi"}}}]}}
            """)!.AsObject();

        BuiltinDefaults.Apply("", "Pod", pod, creating: true);

        var tolerations = pod["spec"]!["tolerations"]!.AsArray();
        tolerations.Should().HaveCount(2);
        tolerations[0]!["tolerationSeconds"]!.GetValue<int>().Should().Be(5, "a toleration the user set wins");
        tolerations[1]!.ToJsonString().Should().Be("""{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}""");
        pod["status"]!.ToJsonString().Should().Be("""{"phase":"Pending","qosClass":"Guaranteed"}""");
        pod["spec"]!["priority"]!.GetValue<int>().Should().Be(0);
    }

    [Theory]
    [InlineData("""{"serviceAccount":"old"}""", "old")]
    [InlineData("""{"serviceAccountName":"new","serviceAccount":"old"}""", "new")]
    [InlineData("""{"serviceAccountName":"new"}""", "new")]
    public void PodSpec_DeprecatedServiceAccount_FillsAnEmptyName_AndReadsBackEqualToIt(string spec, string expected)
    {
        var pod = new JsonObject { ["spec"] = JsonNode.Parse(spec) };
        BuiltinDefaults.Apply("", "Pod", pod, creating: true);
        pod["spec"]!["serviceAccountName"]!.GetValue<string>().Should().Be(expected);
        pod["spec"]!["serviceAccount"]!.GetValue<string>().Should().Be(expected);
    }

    [Theory]
    [InlineData("""[{"name":"a"}]""", "BestEffort")]
    [InlineData("""[{"name":"a","resources":{"requests":{"cpu":"1"}}}]""", "Burstable")]
    [InlineData("""[{"name":"a","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]""", "Guaranteed")]
    [InlineData("""[{"name":"a","resources":{"limits":{"cpu":"1","memory":"1Gi"}}},{"name":"b"}]""", "Burstable")]
    public void QosClass_FollowsRequestsAndLimits(string containers, string expected) =>
        PodDefaults.QosClass(new JsonObject { ["containers"] = JsonNode.Parse(containers) }).Should().Be(expected);

    [Fact]
    public void Service_Job_CronJob_Secret()
    {
        var service = JsonNode.Parse("""{"spec":{"ports":[{"port":80},{"port":53,"protocol":"UDP","targetPort":"dns"}]}}""")!.AsObject();
        var job = JsonNode.Parse("""{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"a","image":"a"}]}}}}""")!.AsObject();
        var cron = JsonNode.Parse("""{"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"parallelism":3}}}}""")!.AsObject();
        var secret = new JsonObject();

        BuiltinDefaults.Apply("", "Service", service, creating: true);
        BuiltinDefaults.Apply("batch", "Job", job, creating: true);
        BuiltinDefaults.Apply("batch", "CronJob", cron, creating: true);
        BuiltinDefaults.Apply("", "Secret", secret, creating: true);

        service["spec"]!["type"]!.GetValue<string>().Should().Be("ClusterIP");
        service["spec"]!["ports"]!.ToJsonString().Should().Be("""[{"port":80,"protocol":"TCP","targetPort":80},{"port":53,"protocol":"UDP","targetPort":"dns"}]""");
        job["spec"]!["completions"]!.GetValue<int>().Should().Be(1);
        job["spec"]!["backoffLimit"]!.GetValue<int>().Should().Be(6);
        job["spec"]!["template"]!["spec"]!["restartPolicy"]!.GetValue<string>().Should().Be("Never");
        cron["spec"]!["concurrencyPolicy"]!.GetValue<string>().Should().Be("Allow");
        cron["spec"]!["jobTemplate"]!["spec"]!["completions"].Should().BeNull("parallelism alone leaves completions unset, as kube does");
        secret["type"]!.GetValue<string>().Should().Be("Opaque");
    }

    [Fact]
    public void ReplicationController_TakesSelectorAndLabelsFromItsTemplate()
    {
        var controller = JsonNode.Parse("""{"metadata":{"name":"rc"},"spec":{"template":{"metadata":{"labels":{"app":"a"}},"spec":{"containers":[{"name":"a","image":"a"}]}}}}""")!.AsObject();

        BuiltinDefaults.Apply("", "ReplicationController", controller, creating: true);

        controller["spec"]!["selector"]!.ToJsonString().Should().Be("""{"app":"a"}""");
        controller["metadata"]!["labels"]!.ToJsonString().Should().Be("""{"app":"a"}""");
        controller["spec"]!["replicas"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public void HostNetworkPod_ListensOnItsContainerPorts_ButTemplatesKeepZero()
    {
        const string Spec = """{"hostNetwork":true,"containers":[{"name":"a","image":"a","ports":[{"containerPort":80},{"containerPort":81,"hostPort":82}]}]}""";
        var pod = new JsonObject { ["spec"] = JsonNode.Parse(Spec) };
        var deployment = new JsonObject { ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = JsonNode.Parse(Spec) } } };

        BuiltinDefaults.Apply("", "Pod", pod, creating: true);
        BuiltinDefaults.Apply("apps", "Deployment", deployment, creating: true);

        pod["spec"]!["containers"]![0]!["ports"]!.AsArray().Select(p => p!["hostPort"]!.GetValue<int>()).Should().Equal(80, 82);
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["hostPort"].Should().BeNull();
    }
    [Fact]
    public void HorizontalPodAutoscaler_WithoutMinReplicasOrMetrics_GetsOneReplicaAndCpuAt80Percent()
    {
        var hpa = JsonNode.Parse("""{"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":3,"metrics":[]}}""")!.AsObject();

        BuiltinDefaults.Apply("autoscaling", "HorizontalPodAutoscaler", hpa, creating: true);

        hpa["spec"]!.ToJsonString().Should().Be(
            """{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":3,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}}],"minReplicas":1}""");
        hpa["spec"]!["behavior"].Should().BeNull("no behavior is invented");
        hpa["status"]!.ToJsonString().Should().Be("{}");
    }

    [Fact]
    public void HorizontalPodAutoscaler_SetFieldsAndMetrics_AreKept()
    {
        var hpa = JsonNode.Parse("""{"spec":{"minReplicas":3,"maxReplicas":5,"metrics":[{"type":"Pods","pods":{"metric":{"name":"rps"},"target":{"type":"AverageValue","averageValue":"1"}}}]}}""")!.AsObject();

        BuiltinDefaults.Apply("autoscaling", "HorizontalPodAutoscaler", hpa, creating: false);

        hpa["spec"]!["minReplicas"]!.GetValue<int>().Should().Be(3);
        hpa["spec"]!["metrics"]!.AsArray().Should().ContainSingle().Which!["type"]!.GetValue<string>().Should().Be("Pods");
    }

    [Fact]
    public void HorizontalPodAutoscaler_Behavior_IsFilledBothWays_KeepingWhatIsSet_AndDroppingTolerance()
    {
        var empty = JsonNode.Parse("""{"spec":{"maxReplicas":3,"behavior":{}}}""")!.AsObject();
        var partial = JsonNode.Parse("""{"spec":{"maxReplicas":3,"behavior":{"scaleDown":{"stabilizationWindowSeconds":60,"tolerance":"0.05"},"scaleUp":{"selectPolicy":"Disabled","policies":[{"type":"Pods","value":1,"periodSeconds":30}]}}}}""")!.AsObject();

        BuiltinDefaults.Apply("autoscaling", "HorizontalPodAutoscaler", empty, creating: true);
        BuiltinDefaults.Apply("autoscaling", "HorizontalPodAutoscaler", partial, creating: true);

        empty["spec"]!["behavior"]!.ToJsonString().Should().Be(
            """{"scaleUp":{"stabilizationWindowSeconds":0,"selectPolicy":"Max","policies":[{"type":"Pods","value":4,"periodSeconds":15},{"type":"Percent","value":100,"periodSeconds":15}]}"""
            + ""","scaleDown":{"selectPolicy":"Max","policies":[{"type":"Percent","value":100,"periodSeconds":15}]}}""");
        partial["spec"]!["behavior"]!.ToJsonString().Should().Be(
            """{"scaleDown":{"stabilizationWindowSeconds":60,"selectPolicy":"Max","policies":[{"type":"Percent","value":100,"periodSeconds":15}]}"""
            + ""","scaleUp":{"selectPolicy":"Disabled","policies":[{"type":"Pods","value":1,"periodSeconds":30}],"stabilizationWindowSeconds":0}}""");
    }
}
