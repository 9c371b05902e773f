namespace MlNetDeep.Layers.Activations;

/// <summary>The shared kernel of ELU and SELU: y = λ·z (z &gt; 0) or λα(e^z − 1).</summary>
internal static class Exponential
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, float alpha, float scale)
    {
        for (var i = 0; i < x.Length; i++)
        {
            var v = x[i];
            y[i] = v > 0 ? scale * v : scale * alpha * (MathF.Exp(v) - 1f);
        }
    }

    /// <summary>dy/dz = λ for z &gt; 0, else λα·e^z = y + λα.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, float alpha, float scale)
    {
        var sa = scale * alpha;
        for (var i = 0; i < x.Length; i++)
        {
            dx[i] = dy[i] * (x[i] > 0 ? scale : y[i] + sa);
        }
    }
}
