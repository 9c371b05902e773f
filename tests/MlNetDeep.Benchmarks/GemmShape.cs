namespace MlNetDeep.Benchmarks;

/// <summary>Parses GEMM benchmark shapes such as "NT_64x784x256".</summary>
public static class GemmShape
{
    /// <summary>Returns the transposes and m, n, k of a shape string.</summary>
    public static (bool TransA, bool TransB, int M, int N, int K) Parse(string shape)
    {
        string[] parts = shape.Split('_');
        string[] dims = parts[1].Split('x');
        return (parts[0][0] == 'T', parts[0][1] == 'T', int.Parse(dims[0]), int.Parse(dims[1]), int.Parse(dims[2]));
    }

    /// <summary>Floating-point operations of one multiply (2·m·n·k).</summary>
    public static double Flops(string shape)
    {
        (_, _, int m, int n, int k) = Parse(shape);
        return 2.0 * m * n * k;
    }
}
