using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Fixed bilinear up-sampling by an integer factor (双线性插值, seed 004 §5.2: DeepLab restores the input size this way;
/// PSPNet and ASPP bring their pooled branches back to the feature map's size): [N, C, H, W] → [N, C, H·f, W·f].
/// No parameters.
/// </summary>
/// <remarks>
/// <para>
/// Pixel centres are aligned as in PyTorch's <c>interpolate(mode="bilinear", align_corners=False)</c> and ONNX's
/// <c>Resize</c> with <c>half_pixel</c> coordinates: output pixel i reads the input at (i + ½)/f − ½, clamped to the
/// image (so the border half-step repeats the edge value). A 1×1 input is broadcast to the whole output (the image
/// pooling branch of ASPP).
/// </para>
/// <para>
/// Each output value is a fixed weighted sum of at most four input values, so backward scatters ∂C/∂y back with the same
/// weights. Planes are independent (no value crosses from one to another): splitting them across the cores cannot change
/// a bit. The per-axis tap tables are made at the first forward, not at build (they are small, but a loaded network's
/// build must not allocate what activations need).
/// </para>
/// </remarks>
public sealed class BilinearUpsampling : Layer
{
    [ThreadStatic]
    private static float[]? t_scratch;

    private readonly LayerJob _job;
    private Taps? _rows;
    private Taps? _columns;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;
    private Tensor? _outputGradient;

    /// <summary>Creates the layer.</summary>
    /// <param name="factor">The integer scale f of both height and width (at least 1).</param>
    public BilinearUpsampling(int factor)
    {
        if (factor < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The up-sampling factor must be at least 1.");
        }

        Factor = factor;
        _job = new LayerJob(RunItem);
    }

    /// <summary>The scale f of height and width.</summary>
    public int Factor { get; }

    /// <summary>
    /// Where output pixel <paramref name="index"/> reads an axis of <paramref name="size"/> input pixels: the two input
    /// indices and the weight of the second (the first has 1 − weight).
    /// </summary>
    /// <param name="index">The output index along the axis.</param>
    /// <param name="size">The input size along the axis.</param>
    /// <param name="factor">The scale f.</param>
    public static (int First, int Second, float Weight) Tap(int index, int size, int factor)
    {
        var source = Math.Max(((index + 0.5) / factor) - 0.5, 0);
        var first = Math.Min((int)source, size - 1);
        var second = Math.Min(first + 1, size - 1);
        return (first, second, first == second ? 0f : (float)(source - first));
    }

    /// <inheritdoc />
    public override LayerDescription Describe() => new("BilinearUpsampling", Name, [new("factor", LayerDescription.ToSetting(Factor))]);

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        if (inputShape.Length != 3)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects images [C, H, W] per sample (batches [N, C, H, W]) but was built for input shape {Tensor.Format(inputShape)}.",
                nameof(inputShape));
        }

        _rows = null;
        _columns = null;
        return [inputShape[0], checked(inputShape[1] * Factor), checked(inputShape[2] * Factor)];
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _rows ??= new Taps(OutputShape[1], InputShape[1], Factor);
        _columns ??= new Taps(OutputShape[2], InputShape[2], Factor);
        var y = Tensor.Ensure(ref _output, input.Rows, OutputShape);
        _input = input;
        _job.Run(0, input.Rows * InputShape[0], y.Length);
        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var x = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        ConvolutionSettings.CheckGradient(Name, outputGradient, x.Rows, OutputShape);
        var dx = Tensor.Ensure(ref _inputGradient, x.Rows, InputShape);
        if (ComputeInputGradient)
        {
            _outputGradient = outputGradient;
            _job.Run(1, x.Rows * InputShape[0], outputGradient.Length);
            _outputGradient = null;
        }

        return dx;
    }

    private void RunItem(int phase, int plane)
    {
        var inPlane = InputShape[1] * InputShape[2];
        var outPlane = OutputShape[1] * OutputShape[2];
        if (phase == 0)
        {
            Forward(_input!.Data.AsSpan(plane * inPlane, inPlane), _output!.Data.AsSpan(plane * outPlane, outPlane));
        }
        else
        {
            Backward(_outputGradient!.Data.AsSpan(plane * outPlane, outPlane), _inputGradient!.Data.AsSpan(plane * inPlane, inPlane));
        }
    }

    /// <summary>
    /// One plane: each input row is interpolated along the width once (into a per-thread scratch of rows), then every output
    /// row is the blend of two of those rows, a vector at a time. The same expressions as interpolating each output pixel
    /// from its four inputs (upper = t[a] + wx·(t[b] − t[a]), likewise lower, y = upper + wy·(lower − upper)), so the same bits.
    /// </summary>
    private void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        var rows = _rows!;
        var columns = _columns!;
        var width = InputShape[2];
        var height = InputShape[1];
        var outWidth = OutputShape[2];
        var scratch = Scratch(height * outWidth);
        for (var r = 0; r < height; r++)
        {
            var source = x.Slice(r * width, width);
            var line = scratch.AsSpan(r * outWidth, outWidth);
            for (var j = 0; j < line.Length; j++)
            {
                int a = columns.First[j], b = columns.Second[j];
                line[j] = source[a] + (columns.Weight[j] * (source[b] - source[a]));
            }
        }

        for (var i = 0; i < rows.Count; i++)
        {
            Blend(scratch.AsSpan(rows.First[i] * outWidth, outWidth), scratch.AsSpan(rows.Second[i] * outWidth, outWidth), rows.Weight[i], y.Slice(i * outWidth, outWidth));
        }
    }

    /// <summary>y = upper + w·(lower − upper), a multiply and an add (not fused, as the scalar expression).</summary>
    private static void Blend(ReadOnlySpan<float> upper, ReadOnlySpan<float> lower, float w, Span<float> y)
    {
        ref var u = ref MemoryMarshal.GetReference(upper);
        ref var l = ref MemoryMarshal.GetReference(lower);
        ref var d = ref MemoryMarshal.GetReference(y);
        nuint j = 0, n = (nuint)y.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            var vw = Vector512.Create(w);
            for (; j + 16 <= n; j += 16)
            {
                var vu = Vector512.LoadUnsafe(ref u, j);
                (vu + (vw * (Vector512.LoadUnsafe(ref l, j) - vu))).StoreUnsafe(ref d, j);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w);
            for (; j + 8 <= n; j += 8)
            {
                var vu = Vector256.LoadUnsafe(ref u, j);
                (vu + (vw * (Vector256.LoadUnsafe(ref l, j) - vu))).StoreUnsafe(ref d, j);
            }
        }

        for (; j < n; j++)
        {
            var a = Unsafe.Add(ref u, j);
            Unsafe.Add(ref d, j) = a + (w * (Unsafe.Add(ref l, j) - a));
        }
    }

    /// <summary>The calling thread's scratch of at least <paramref name="length"/> values (kept for later calls).</summary>
    private static float[] Scratch(int length)
    {
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < length)
        {
            t_scratch = scratch = new float[length];
        }

        return scratch;
    }

    private void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        var rows = _rows!;
        var columns = _columns!;
        var width = InputShape[2];
        var outWidth = OutputShape[2];
        dx.Clear();
        for (var i = 0; i < rows.Count; i++)
        {
            var top = dx.Slice(rows.First[i] * width, width);
            var bottom = dx.Slice(rows.Second[i] * width, width);
            var wy = rows.Weight[i];
            var line = dy.Slice(i * outWidth, outWidth);
            for (var j = 0; j < line.Length; j++)
            {
                int a = columns.First[j], b = columns.Second[j];
                var wx = columns.Weight[j];
                var upper = line[j] * (1 - wy);
                var lower = line[j] * wy;
                top[a] += upper * (1 - wx);
                top[b] += upper * wx;
                bottom[a] += lower * (1 - wx);
                bottom[b] += lower * wx;
            }
        }
    }

    /// <summary>The taps of every output index along one axis.</summary>
    private sealed class Taps
    {
        public Taps(int count, int size, int factor)
        {
            Count = count;
            First = new int[count];
            Second = new int[count];
            Weight = new float[count];
            for (var i = 0; i < count; i++)
            {
                (First[i], Second[i], Weight[i]) = Tap(i, size, factor);
            }
        }

        public int Count { get; }

        public int[] First { get; }

        public int[] Second { get; }

        public float[] Weight { get; }
    }
}
