namespace K3sLab.Lab.Tests.Agent;

/// <summary>Waits on a condition with a deadline instead of sleeping.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestClient.Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not happen within {TestClient.Patience.TotalSeconds} s");
            }

            await Task.Delay(5);
        }
    }
}
