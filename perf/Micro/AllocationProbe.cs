using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace K3sLab.Perf.Micro;

/// <summary>
/// Measures the managed bytes each benchmark allocates per operation, for the CI gate: runs a benchmark class's
/// <c>[GlobalSetup]</c>, warms each <c>[Benchmark]</c> method up, then counts the bytes the current thread allocates
/// over a fixed number of calls. Each method starts from a fresh setup and runs a fixed count, so the figure is
/// the same on every machine with the same runtime (allocation counts, unlike times, do not depend on the host);
/// the smallest of a few rounds drops one-off costs such as a type's first use.
/// </summary>
internal static class AllocationProbe
{
    /// <summary>Calls measured per round: a multiple of the benchmarks' restart periods, so every round holds the same restarts.</summary>
    public const int Operations = 16 * 1024;

    private const int WarmUp = 8 * 1024;
    private const int Rounds = 3;

    /// <summary>One figure per benchmark method, named <c>Class.Method</c> without the <c>Benchmarks</c> suffix.</summary>
    public static IReadOnlyList<AllocationFigure> Measure(IEnumerable<Type> benchmarkClasses, string? filter)
    {
        var figures = new List<AllocationFigure>();
        foreach (var type in benchmarkClasses)
        {
            foreach (var method in type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
            {
                var name = $"{type.Name.Replace("Benchmarks", string.Empty, StringComparison.Ordinal)}.{method.Name}";
                if (filter is null || name.Contains(filter, StringComparison.OrdinalIgnoreCase))
                {
                    figures.Add(new AllocationFigure(name, MeasureOne(type, method), Operations));
                }
            }
        }

        return figures;
    }

    private static double MeasureOne(Type type, MethodInfo method)
    {
        var best = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var instance = Activator.CreateInstance(type)!;
            Invoke<GlobalSetupAttribute>(type, instance);
            var operation = Bind(method, instance);
            for (var i = 0; i < WarmUp; i++)
            {
                operation();
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Operations; i++)
            {
                operation();
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Invoke<GlobalCleanupAttribute>(type, instance);
            best = Math.Min(best, (double)allocated / Operations);
        }

        return best;
    }

    /// <summary>A call of the method without reflection's own allocations: a void method or one returning a reference type.</summary>
    private static Action Bind(MethodInfo method, object instance)
    {
        if (method.ReturnType == typeof(void))
        {
            return method.CreateDelegate<Action>(instance);
        }

        if (method.ReturnType.IsValueType)
        {
            throw new InvalidOperationException($"{method.DeclaringType!.Name}.{method.Name} returns a value type: return void or a reference type, so the probe can call it without boxing");
        }

        var call = method.CreateDelegate<Func<object>>(instance);
        return () => GC.KeepAlive(call());
    }

    private static void Invoke<TAttribute>(Type type, object instance)
        where TAttribute : Attribute
    {
        foreach (var method in type.GetMethods().Where(m => m.GetCustomAttribute<TAttribute>() is not null))
        {
            method.Invoke(instance, null);
        }
    }
}

/// <summary>One benchmark's managed allocation per operation, over <paramref name="Operations"/> measured calls.</summary>
internal sealed record AllocationFigure(string Name, double BytesPerOperation, int Operations);
