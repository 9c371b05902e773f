using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlNetDeep.Kernels;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// The shared part of the 2-D pooling layers (seed 000 §2.2): the window geometry (size f, stride s, valid, same or
/// explicit padding, the same relations as for convolution), shape checks, and the pass over the N·C planes of an
/// NCHW batch, spread over both cores for large inputs. Derived layers supply the per-plane kernels.
/// </summary>
/// <remarks>
/// <para>Valid padding: output ⌊(n − f)/s⌋ + 1 per spatial dimension; the window must fit the input.</para>
/// <para>
/// Same padding: output ⌈n/s⌉; the padding needed, max((out − 1)·s + f − n, 0), is split with the smaller half
/// before (top/left), as TensorFlow/Keras do. Padded positions are never part of a result: a max ignores them
/// and an average divides by the number of real inputs in the window (PyTorch's <c>count_include_pad=false</c>).
/// Every window holds at least one real input.
/// </para>
/// <para>
/// Explicit padding (top, bottom, left, right), as PyTorch's <c>padding</c> (torchvision's ResNet stem pools with
/// <c>MaxPool2d(3, 2, padding=1)</c>): output ⌊(n + p_before + p_after − f)/s⌋ + 1. Padded positions are ignored in the
/// same way; each amount must be less than f, so that every window holds a real input. An average divides by the real
/// inputs (PyTorch's <c>count_include_pad=False</c>; PyTorch's default counts the padding).
/// </para>
/// </remarks>
public abstract class Pooling2D : Layer
{
    /// <inheritdoc />
    internal override bool IsSampleIndependent => true;

    /// <summary>The most runs of planes a pass is cut into per core (work-taking evens out uneven planes).</summary>
    private const int RunsPerCore = 8;

    private readonly LayerJob _job;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;
    private Tensor? _outputGradient;
    private int _planes;
    private int _runs;

    /// <summary>Creates the pooling geometry.</summary>
    /// <param name="size">The window's side f.</param>
    /// <param name="stride">The step s; null for <paramref name="size"/> (non-overlapping windows).</param>
    /// <param name="same">True for same padding (output ⌈n/s⌉), false for valid (no padding).</param>
    protected Pooling2D(int size, int? stride, bool same)
        : this(size, stride, same ? Padding.Same : Padding.Valid)
    {
    }

    /// <summary>Creates the pooling geometry with any padding.</summary>
    /// <param name="size">The window's side f.</param>
    /// <param name="stride">The step s; null for <paramref name="size"/> (non-overlapping windows).</param>
    /// <param name="padding"><see cref="Padding.Valid"/>, <see cref="Padding.Same"/>, or explicit amounts, each less than <paramref name="size"/>.</param>
    protected Pooling2D(int size, int? stride, Padding padding)
    {
        if (size <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The pooling window needs a positive size.");
        }

        var s = stride ?? size;
        if (s <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, "The pooling stride must be positive.");
        }

        if (!padding.IsSame && new[] { padding.Top, padding.Bottom, padding.Left, padding.Right }.Any(p => p >= size))
        {
            throw new ArgumentOutOfRangeException(
                nameof(padding), padding, $"Each padding amount must be less than the window size {size}, so that every window holds a real input.");
        }

        Size = size;
        Stride = s;
        Padding = padding;
        _job = new LayerJob(RunItem);
    }

    /// <summary>The window's side f (the window is f×f).</summary>
    public int Size { get; }

    /// <summary>The step s between windows, in both directions.</summary>
    public int Stride { get; }

    /// <summary>True for same padding (TensorFlow's rule), false for valid or explicit padding.</summary>
    public bool Same => Padding.IsSame;

    /// <summary>The padding as given: <see cref="Padding.Valid"/>, <see cref="Padding.Same"/> (resolved per input size when built) or explicit amounts.</summary>
    public Padding Padding { get; }

    /// <summary>The number of channels C.</summary>
    protected int Channels { get; private set; }

    /// <summary>The input height.</summary>
    protected int InputHeight { get; private set; }

    /// <summary>The input width.</summary>
    protected int InputWidth { get; private set; }

    /// <summary>The output height.</summary>
    protected int OutputHeight { get; private set; }

    /// <summary>The output width.</summary>
    protected int OutputWidth { get; private set; }

    /// <summary>Rows of padding above the input (same or explicit padding).</summary>
    protected int PadTop { get; private set; }

    /// <summary>Columns of padding left of the input (same or explicit padding).</summary>
    protected int PadLeft { get; private set; }

    /// <summary>
    /// The output columns [start, end) whose windows lie wholly inside the input's width: the AVX-512 kernels
    /// compute sixteen of them at once; the others (clipped by same padding) take the scalar path.
    /// </summary>
    private protected (int Start, int End) InteriorColumns { get; private set; }

    /// <summary>True when the vector kernels apply to this stride on this machine.</summary>
    private protected bool Vectorised => PoolingVectors.Supports(Stride);

    /// <summary>
    /// How many of the 16 lanes of a block of output columns starting at <paramref name="ow"/> are interior windows
    /// (fewer than 16 at the end of a row or for narrow images; the other lanes are computed and dropped), or 0 when
    /// the block's reads, over rows up to <paramref name="lastRow"/>, would pass the end of <paramref name="readable"/>
    /// values (then the scalar path takes the rest of the row).
    /// </summary>
    private protected int BlockLanes(int ow, int lastRow, int readable)
    {
        var lanes = Math.Min(PoolingVectors.Lanes, InteriorColumns.End - ow);
        var reach = (lastRow * InputWidth) + (ow * Stride) - PadLeft + Size - 1 + PoolingVectors.Reach(Stride);
        return lanes > 0 && reach <= readable ? lanes : 0;
    }

    /// <summary>
    /// The settings every pooling description shares: size, stride and same, and <c>padding</c> (top,bottom,left,right)
    /// only when the padding is explicit, so that files of valid or same pooling read as before.
    /// </summary>
    protected KeyValuePair<string, string>[] GeometrySettings() =>
    [
        new("size", LayerDescription.ToSetting(Size)),
        new("stride", LayerDescription.ToSetting(Stride)),
        new("same", LayerDescription.ToSetting(Same)),
        .. Padding.IsSame || Padding == Padding.Valid ? [] : new KeyValuePair<string, string>[] { new("padding", Padding.ToString()) },
    ];

    /// <summary>Reads the padding <see cref="GeometrySettings"/> wrote: explicit when there is a <c>padding</c> setting, else same or valid.</summary>
    internal static Padding PaddingOf(LayerDescription description)
    {
        var same = description.GetBoolean("same");
        if (!description.Settings.ContainsKey("padding"))
        {
            return same ? Padding.Same : Padding.Valid;
        }

        return same
            ? throw new InvalidDataException($"layer '{description.Name}' of type '{description.TypeKey}' has both same=true and an explicit padding.")
            : Padding.Parse(description.GetString("padding"));
    }

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        if (inputShape.Length != 3)
        {
            throw new ArgumentException(
                $"Layer '{Name}' pools images: it expects a per-sample shape [C, H, W] (batches [N, C, H, W]) but got {Tensor.Format(inputShape)}.",
                nameof(inputShape));
        }

        (Channels, InputHeight, InputWidth) = (inputShape[0], inputShape[1], inputShape[2]);
        (OutputHeight, PadTop) = Geometry(InputHeight, "height", Padding.Top, Padding.Bottom);
        (OutputWidth, PadLeft) = Geometry(InputWidth, "width", Padding.Left, Padding.Right);
        var first = (PadLeft + Stride - 1) / Stride;
        var end = Math.Min(OutputWidth, ((InputWidth + PadLeft - Size) / Stride) + 1);
        InteriorColumns = (Math.Min(first, end), end);
        OnBuildPlanes(random);
        return [Channels, OutputHeight, OutputWidth];
    }

    /// <summary>Called at the end of <see cref="OnBuild"/>, once the geometry is known (to create parameters).</summary>
    protected virtual void OnBuildPlanes(RandomSource random)
    {
    }

    /// <inheritdoc />
    protected sealed override Tensor OnForward(Tensor input, bool training)
    {
        var n = input.Rows;
        var y = Tensor.Ensure(ref _output, n, OutputShape);
        _input = input;
        if (!ForwardBatch(input, y, training))
        {
            ForwardPlanes(n);
        }

        return y;
    }

    /// <inheritdoc />
    protected sealed override Tensor OnBackward(Tensor outputGradient)
    {
        var x = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        var n = x.Rows;
        if (outputGradient.Length != _output!.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected {Tensor.Format(_output.Shape)}.",
                nameof(outputGradient));
        }

        Tensor.Ensure(ref _inputGradient, n, InputShape);
        _outputGradient = outputGradient;
        if (!BackwardBatch(x, _output, outputGradient, _inputGradient!))
        {
            RunPlanes(1, n * Channels, x.Length);
            AfterBackward(n);
        }

        return _inputGradient!;
    }

    /// <summary>
    /// A whole-batch forward kernel that replaces the per-plane pass when it applies (the default never does).
    /// </summary>
    /// <param name="x">The input batch.</param>
    /// <param name="y">The output batch to overwrite.</param>
    /// <param name="training">True while training.</param>
    /// <returns>True when it computed <paramref name="y"/>; false to run <see cref="ForwardPlane"/> on every plane.</returns>
    private protected virtual bool ForwardBatch(Tensor x, Tensor y, bool training) => false;

    /// <summary>
    /// A whole-batch backward kernel that replaces the per-plane pass when it applies (the default never does).
    /// </summary>
    /// <param name="x">The input of the last forward pass.</param>
    /// <param name="y">The output of the last forward pass.</param>
    /// <param name="dy">∂C/∂output.</param>
    /// <param name="dx">∂C/∂input, every value to overwrite.</param>
    /// <returns>True when it computed <paramref name="dx"/>; false to run <see cref="BackwardPlane"/> on every plane.</returns>
    private protected virtual bool BackwardBatch(Tensor x, Tensor y, Tensor dy, Tensor dx) => false;

    /// <summary>Called before the planes of a forward pass run (to size per-batch buffers).</summary>
    /// <param name="rows">The batch size N.</param>
    protected virtual void BeforeForward(int rows)
    {
    }

    /// <summary>Called after the planes of a backward pass ran (to reduce per-plane partial sums).</summary>
    /// <param name="rows">The batch size N.</param>
    protected virtual void AfterBackward(int rows)
    {
    }

    /// <summary>Computes one output plane from one input plane. Runs concurrently for different planes.</summary>
    /// <param name="plane">The plane's index n·C + c.</param>
    /// <param name="x">The input from the plane's first value on: its first H×W values are the plane; values after them
    /// (the following planes) may be read by vector kernels but never change the result.</param>
    /// <param name="y">The output plane, OH×OW.</param>
    protected abstract void ForwardPlane(int plane, ReadOnlySpan<float> x, Span<float> y);

    /// <summary>Writes one plane of ∂C/∂input (every value) from one plane of ∂C/∂output. Runs concurrently for different planes.</summary>
    /// <param name="plane">The plane's index n·C + c.</param>
    /// <param name="dy">The output-gradient plane, OH×OW.</param>
    /// <param name="dx">The input-gradient plane, H×W, to overwrite.</param>
    protected abstract void BackwardPlane(int plane, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>
    /// The shared kernel of sum and average pooling: <paramref name="y"/>[o] = Σ of the real inputs in window o,
    /// divided by their count when <paramref name="average"/>.
    /// </summary>
    protected void SumWindows(ReadOnlySpan<float> x, Span<float> y, bool average)
    {
        ref var origin = ref MemoryMarshal.GetReference(x);
        for (var oh = 0; oh < OutputHeight; oh++)
        {
            var (h0, h1) = Window(oh, PadTop, InputHeight);
            var ow = 0;
            if (Vectorised)
            {
                for (; ow < InteriorColumns.Start; ow++)
                {
                    y[(oh * OutputWidth) + ow] = SumWindow(x, h0, h1, ow, average);
                }

                var count = Vector512.Create(average ? (float)((h1 - h0) * Size) : 1f);
                for (int lanes; (lanes = BlockLanes(ow, h1 - 1, x.Length)) > 0; ow += lanes)
                {
                    var column = (ow * Stride) - PadLeft;
                    var sum = Vector512<float>.Zero;
                    for (var h = h0; h < h1; h++)
                    {
                        for (var kw = 0; kw < Size; kw++)
                        {
                            sum += PoolingVectors.Load(ref origin, (h * InputWidth) + column + kw, Stride);
                        }
                    }

                    PoolingVectors.Store(sum / count, y.Slice((oh * OutputWidth) + ow, lanes));
                }
            }

            for (; ow < OutputWidth; ow++)
            {
                y[(oh * OutputWidth) + ow] = SumWindow(x, h0, h1, ow, average);
            }
        }
    }

    /// <summary>
    /// The backward of <see cref="SumWindows"/>: <paramref name="dx"/> = Σ over the windows containing each input
    /// of <paramref name="scale"/>·dy[o] (divided by the window's count when <paramref name="average"/>).
    /// </summary>
    protected void SpreadWindows(ReadOnlySpan<float> dy, Span<float> dx, bool average, float scale)
    {
        dx.Clear();
        var o = 0;
        for (var oh = 0; oh < OutputHeight; oh++)
        {
            var (h0, h1) = Window(oh, PadTop, InputHeight);
            for (var ow = 0; ow < OutputWidth; ow++)
            {
                var (w0, w1) = Window(ow, PadLeft, InputWidth);
                var g = dy[o++] * scale;
                if (average)
                {
                    g /= (h1 - h0) * (w1 - w0);
                }

                for (var h = h0; h < h1; h++)
                {
                    var row = dx.Slice((h * InputWidth) + w0, w1 - w0);
                    for (var i = 0; i < row.Length; i++)
                    {
                        row[i] += g;
                    }
                }
            }
        }
    }

    /// <summary>The real input range [start, end) of window <paramref name="index"/> along one dimension.</summary>
    protected (int Start, int End) Window(int index, int padBefore, int extent)
    {
        var start = (index * Stride) - padBefore;
        return (Math.Max(start, 0), Math.Min(start + Size, extent));
    }

    private float SumWindow(ReadOnlySpan<float> x, int h0, int h1, int ow, bool average)
    {
        var (w0, w1) = Window(ow, PadLeft, InputWidth);
        var sum = 0f;
        for (var h = h0; h < h1; h++)
        {
            foreach (var v in x.Slice((h * InputWidth) + w0, w1 - w0))
            {
                sum += v;
            }
        }

        return average ? sum / ((h1 - h0) * (w1 - w0)) : sum;
    }

    private (int Output, int PadBefore) Geometry(int extent, string dimension, int before, int after)
    {
        if (Same)
        {
            var output = (extent + Stride - 1) / Stride;
            var pad = Math.Max(((output - 1) * Stride) + Size - extent, 0);
            return (output, pad / 2);
        }

        if (Size > extent + before + after)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the {Size}x{Size} pooling window is larger than the input {dimension} {extent}"
                + (before + after > 0 ? $" padded by {before} + {after}" : string.Empty)
                + $" (per-sample input {Tensor.Format([Channels, InputHeight, InputWidth])}); use a smaller window or same padding.",
                "inputShape");
        }

        return (((extent + before + after - Size) / Stride) + 1, before);
    }

    /// <summary>The plane-by-plane forward pass of the current input (<see cref="BeforeForward"/>, then <see cref="ForwardPlane"/> on every plane).</summary>
    private protected void ForwardPlanes(int rows)
    {
        BeforeForward(rows);
        RunPlanes(0, rows * Channels, _input!.Length);
    }

    /// <summary>
    /// Runs a pass over <paramref name="planes"/> planes in runs of consecutive planes (at most
    /// <see cref="RunsPerCore"/> a core), so that small planes (a ResNet's 1×1 maps) do not each pay the pool's dispatch.
    /// Each plane is computed alone, so the runs do not change a bit.
    /// </summary>
    private void RunPlanes(int phase, int planes, long work)
    {
        _planes = planes;
        _runs = Math.Min(planes, RunsPerCore * WorkerPool.MaxDegreeOfParallelism);
        _job.Run(phase, _runs, work);
    }

    private void RunItem(int phase, int run)
    {
        var inPlane = InputHeight * InputWidth;
        var outPlane = OutputHeight * OutputWidth;
        var end = (int)((long)_planes * (run + 1) / _runs);
        for (var plane = (int)((long)_planes * run / _runs); plane < end; plane++)
        {
            if (phase == 0)
            {
                ForwardPlane(plane, _input!.Span[(plane * inPlane)..], _output!.Span.Slice(plane * outPlane, outPlane));
            }
            else
            {
                BackwardPlane(plane, _outputGradient!.Span.Slice(plane * outPlane, outPlane), _inputGradient!.Span.Slice(plane * inPlane, inPlane));
            }
        }
    }
}
