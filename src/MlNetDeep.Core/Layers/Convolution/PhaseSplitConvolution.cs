using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MlNetDeep.Kernels;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A dilated ("atrous") stride-1 convolution computed as an ordinary one on the image's phases (space to batch; the way
/// TensorFlow runs atrous convolutions): with dilation (dh, dw), output pixel (dh·i + r, dw·j + s) reads only input pixels
/// (dh·m + r, dw·n + s), so each of the dh·dw phases (r, s) is a sub-image of every dh-th row and dw-th column, convolved
/// with the same kernel undilated, padding (pt/dh, pl/dw). The phases of a batch of N become a batch of N·dh·dw small
/// images, which the engine's fast kernels take (Winograd's F(2x2, 3x3) or the direct kernels), where the dilated form
/// could only go through im2col.
/// </summary>
/// <remarks>
/// Phases of a side that dh does not divide have one row fewer than the first ones; every phase gets the first ones' size,
/// the missing rows and columns are zeros (they lie in the convolution's padding) and the outputs they would give are
/// dropped. The weight and bias gradients are the sums over the phase batch, which hold every (output, tap) pair of the
/// dilated convolution once. The split depends on the geometry and the batch size only, so the bits do not depend on the
/// core count.
/// <para>
/// With AVX2 the rearrangements are gathers through a table made once per geometry, a channel's plane at a time: into the
/// phases, each phase's plane is written in order from the source plane (−1 in the table: a zero, outside the image); back,
/// the full plane is written in order, each position from its phase. Either way every store is contiguous, and no loop runs
/// per row: a phase row of 8 or 11 values made the per-row loops cost as much as the convolution itself.
/// </para>
/// </remarks>
internal sealed unsafe class PhaseSplitConvolution : RearrangedConvolution
{
    private readonly ConvolutionGeometry _outer;
    private readonly ConvolutionEngine _inner;
    private readonly int _phases;
    private Tensor? _images;
    private Tensor? _sides;
    private Tensor? _imageGradients;

    // The gather tables (see the remarks), made on first use: per pass, the source offset of every destination value.
    private readonly int[]?[] _tables = new int[]?[4];

    // The current pass, for Execute.
    private Pass _pass;
    private Tensor? _from;
    private Tensor? _to;
    private int[]? _table;

    private PhaseSplitConvolution(in ConvolutionGeometry outer, ConvolutionEngine inner)
    {
        _outer = outer;
        _inner = inner;
        _phases = outer.DilationHeight * outer.DilationWidth;
    }

    private enum Pass
    {
        GatherImage,
        GatherSide,
        ScatterSide,
        ScatterImage,
    }

    /// <summary>
    /// The phase form of <paramref name="g"/>, or null: for dilated stride-1 convolutions whose padding is a multiple of the
    /// dilation, when the phases' ordinary convolution runs on Winograd's or the direct kernels.
    /// </summary>
    public static PhaseSplitConvolution? TryCreate(in ConvolutionGeometry g)
    {
        int dh = g.DilationHeight, dw = g.DilationWidth;
        if ((dh == 1 && dw == 1) || g.StrideHeight != 1 || g.StrideWidth != 1 || g.PadTop % dh != 0 || g.PadLeft % dw != 0
            || g.ImageHeight < dh || g.ImageWidth < dw || g.OutputHeight < dh || g.OutputWidth < dw)
        {
            return null;
        }

        var inner = new ConvolutionEngine(new ConvolutionGeometry(
            g.ImageChannels, Ceiling(g.ImageHeight, dh), Ceiling(g.ImageWidth, dw), g.ColumnChannels, Ceiling(g.OutputHeight, dh),
            Ceiling(g.OutputWidth, dw), g.KernelHeight, g.KernelWidth, 1, 1, g.PadTop / dh, g.PadLeft / dw, 1, 1, g.Groups));
        return inner.ForwardByWinograd || inner.IsDirect ? new PhaseSplitConvolution(g, inner) : null;
    }

    /// <summary>columnSide = the dilated convolution of image (+ bias).</summary>
    public override void Lower(Tensor image, Tensor columnSide, Tensor weight, Tensor? bias, bool inference, ConvolutionEpilogue? epilogue)
    {
        var g = _inner.Geometry;
        var images = Tensor.Ensure(ref _images, image.Rows * _phases, [g.ImageChannels, g.ImageHeight, g.ImageWidth]);
        var sides = Tensor.Ensure(ref _sides, image.Rows * _phases, [g.ColumnChannels, g.OutputHeight, g.OutputWidth]);
        Run(Pass.GatherImage, image, images);
        _inner.Lower(images, sides, weight, bias, inference, epilogue); // per channel: the same on the phases' outputs
        Run(Pass.ScatterSide, sides, columnSide);
    }

    /// <inheritdoc />
    public override void LowerBackward(Tensor image, Tensor dColumnSide, Tensor weight, Tensor? weightGradient, Tensor? biasGradient, Tensor? imageGradient)
    {
        var g = _inner.Geometry;
        var rows = dColumnSide.Rows;
        var images = Tensor.Ensure(ref _images, image.Rows * _phases, [g.ImageChannels, g.ImageHeight, g.ImageWidth]);
        Run(Pass.GatherImage, image, images);
        var sides = Tensor.Ensure(ref _sides, rows * _phases, [g.ColumnChannels, g.OutputHeight, g.OutputWidth]);
        Run(Pass.GatherSide, dColumnSide, sides);
        var gradients = imageGradient is null ? null : Tensor.Ensure(ref _imageGradients, rows * _phases, [g.ImageChannels, g.ImageHeight, g.ImageWidth]);
        _inner.LowerBackward(images, sides, weight, weightGradient, biasGradient, gradients);
        if (imageGradient is not null)
        {
            Run(Pass.ScatterImage, gradients!, imageGradient);
        }
    }

    /// <inheritdoc />
    public override void Execute(int index)
    {
        // One item per sample of the outer batch: its planes of every channel and phase.
        int dh = _outer.DilationHeight, dw = _outer.DilationWidth;
        var (channels, fullH, fullW, subH, subW) = Planes(_pass);
        var gather = _pass is Pass.GatherImage or Pass.GatherSide;
        var table = _table;
        fixed (float* from = _from!.Data, to = _to!.Data)
        {
            if (table is not null)
            {
                fixed (int* offsets = table)
                {
                    if (gather)
                    {
                        GatherPhases(from, to, offsets, index, channels, fullH * fullW, subH * subW);
                    }
                    else
                    {
                        ScatterPhases(from, to, offsets, index, channels, fullH * fullW, subH * subW);
                    }
                }

                return;
            }

            for (var phase = 0; phase < _phases; phase++)
            {
                int r = phase / dw, s = phase % dw;
                for (var c = 0; c < channels; c++)
                {
                    var full = (((long)index * channels) + c) * fullH * fullW;
                    var sub = (((((long)index * _phases) + phase) * channels) + c) * subH * subW;
                    if (gather)
                    {
                        GatherPlane(from + full, to + sub, fullH, fullW, subH, subW, r, s, dh, dw);
                    }
                    else
                    {
                        ScatterPlane(from + sub, to + full, fullH, fullW, subH, subW, r, s, dh, dw);
                    }
                }
            }
        }
    }

    /// <summary>Switch for tests: false runs the rearrangements by the per-row loops; read when a pass starts.</summary>
    internal static bool ByTables { get; set; } = true;

    private static int Ceiling(int value, int by) => (value + by - 1) / by;

    /// <summary>Sample <paramref name="index"/>'s channels, each gathered into its <see cref="_phases"/> phase planes.</summary>
    private void GatherPhases(float* from, float* to, int* table, int index, int channels, int fullPlane, int subPlane)
    {
        var source = from + ((long)index * channels * fullPlane);
        var target = to + ((long)index * _phases * channels * subPlane);
        for (var c = 0; c < channels; c++)
        {
            var plane = source + ((long)c * fullPlane);
            for (var phase = 0; phase < _phases; phase++)
            {
                var offsets = table + ((long)phase * subPlane);
                var sub = target + ((((long)phase * channels) + c) * subPlane);
                var k = 0;
                for (; k <= subPlane - 8; k += 8)
                {
                    var at = Avx.LoadVector256(offsets + k);
                    var inside = Avx2.CompareGreaterThan(at, Vector256<int>.AllBitsSet).AsSingle();
                    Avx.Store(sub + k, Avx2.GatherMaskVector256(Vector256<float>.Zero, plane, at, inside, sizeof(float)));
                }

                for (; k < subPlane; k++)
                {
                    sub[k] = offsets[k] >= 0 ? plane[offsets[k]] : 0f;
                }
            }
        }
    }

    /// <summary>Sample <paramref name="index"/>'s full planes, each position read from its phase's plane.</summary>
    private void ScatterPhases(float* from, float* to, int* offsets, int index, int channels, int fullPlane, int subPlane)
    {
        var source = from + ((long)index * _phases * channels * subPlane);
        var target = to + ((long)index * channels * fullPlane);
        for (var c = 0; c < channels; c++)
        {
            var sub = source + ((long)c * subPlane);
            var full = target + ((long)c * fullPlane);
            var k = 0;
            for (; k <= fullPlane - 8; k += 8)
            {
                Avx.Store(full + k, Avx2.GatherVector256(sub, Avx.LoadVector256(offsets + k), sizeof(float)));
            }

            for (; k < fullPlane; k++)
            {
                full[k] = sub[offsets[k]];
            }
        }
    }

    /// <summary>
    /// The table of <paramref name="pass"/> (made on its first use), or null where the per-row loops run: without AVX2, or
    /// when an offset would not fit an int.
    /// </summary>
    private int[]? TableFor(Pass pass)
    {
        if (!ByTables || !Avx2.IsSupported)
        {
            return null;
        }

        if (_tables[(int)pass] is { } made)
        {
            return made;
        }

        int dh = _outer.DilationHeight, dw = _outer.DilationWidth;
        var (channels, fullH, fullW, subH, subW) = Planes(pass);
        var subPlane = subH * subW;
        if ((long)_phases * channels * subPlane > int.MaxValue)
        {
            return null;
        }

        int[] table;
        if (pass is Pass.GatherImage or Pass.GatherSide)
        {
            // Per phase (r, s), per position (m, n) of its plane: where it lies in the full plane, −1 outside.
            table = new int[_phases * subPlane];
            for (var phase = 0; phase < _phases; phase++)
            {
                int r = phase / dw, s = phase % dw;
                for (var m = 0; m < subH; m++)
                {
                    for (var n = 0; n < subW; n++)
                    {
                        int y = (dh * m) + r, x = (dw * n) + s;
                        table[(phase * subPlane) + (m * subW) + n] = y < fullH && x < fullW ? (y * fullW) + x : -1;
                    }
                }
            }
        }
        else
        {
            // Per position (y, x) of the full plane: where it lies among the sample's phase planes (channel 0's).
            table = new int[fullH * fullW];
            for (var y = 0; y < fullH; y++)
            {
                for (var x = 0; x < fullW; x++)
                {
                    var phase = ((y % dh) * dw) + (x % dw);
                    table[(y * fullW) + x] = (phase * channels * subPlane) + ((y / dh) * subW) + (x / dw);
                }
            }
        }

        return _tables[(int)pass] = table;
    }

    /// <summary>What <paramref name="pass"/> moves: the channels, the full planes' height and width, the phase planes'.</summary>
    private (int Channels, int FullH, int FullW, int SubH, int SubW) Planes(Pass pass)
    {
        var g = _inner.Geometry;
        return pass is Pass.GatherImage or Pass.ScatterImage
            ? (g.ImageChannels, _outer.ImageHeight, _outer.ImageWidth, g.ImageHeight, g.ImageWidth)
            : (g.ColumnChannels, _outer.OutputHeight, _outer.OutputWidth, g.OutputHeight, g.OutputWidth);
    }

    private void Run(Pass pass, Tensor from, Tensor to)
    {
        (_pass, _from, _to, _table) = (pass, from, to, TableFor(pass));
        try
        {
            ForEachSample(pass is Pass.GatherImage or Pass.GatherSide ? from.Rows : to.Rows);
        }
        finally
        {
            (_from, _to, _table) = (null, null, null);
        }
    }
}
