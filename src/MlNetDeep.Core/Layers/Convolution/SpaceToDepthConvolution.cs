using MlNetDeep.Kernels;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A strided convolution computed as a stride-1 one on the image's phases stacked as channels (space to depth): with
/// stride (sh, sw), tap (sh·a + r, sw·b + q) of output pixel (i, j) reads input pixel (sh·(i + a) + r − pt,
/// sw·(j + b) + q − pl), which is pixel (i + a, j + b) of phase (r, q) — the sub-image of every sh-th row from r − pt and
/// every sw-th column from q − pl. The Ci·sh·sw phases are the channels of an image convolved, unpadded at stride 1, with
/// ⌈kh/sh⌉×⌈kw/sw⌉ kernels whose taps past the original kernel are zeros; the direct kernels take it where the strided
/// form could only go through im2col. A ResNet's 7×7 stride-2 stem on 3 channels becomes a 4×4 convolution on 12.
/// </summary>
/// <remarks>
/// Taken when the direct kernels take the phase convolution and its zero taps add at most half again to the
/// multiply-adds (7×7/2: 64 taps for 49; 11×11/4: 144 for 121; a 3×3/2 convolution, 16 for 9, stays on im2col). The
/// forward pass skips the zero taps (<see cref="ConvolutionEngine.ForwardChannelTaps"/>); the backward passes run the
/// whole phase kernels. The phase weights are made from the weights at every call (the direct kernels keep their
/// rearranged copy while those stay the same); the weight gradient is the phase weights' gradient at the real taps.
/// Each sample's phases are made from that sample only, so the bits do not depend on the batch or the core count.
/// </remarks>
internal sealed unsafe class SpaceToDepthConvolution : RearrangedConvolution
{
    /// <summary>The most multiply-adds of the phase convolution, per multiply-add of the strided one.</summary>
    private const double MaxTapGrowth = 1.5;

    private readonly ConvolutionGeometry _outer;
    private readonly ConvolutionEngine _inner;
    private readonly Tensor _weight;
    private readonly Tensor _weightGradient;
    private Tensor? _images;
    private Tensor? _imageGradients;
    private bool _weightMade;

    // The current pass, for Execute.
    private bool _scatter;
    private Tensor? _from;
    private Tensor? _to;

    private SpaceToDepthConvolution(in ConvolutionGeometry outer, ConvolutionEngine inner)
    {
        _outer = outer;
        _inner = inner;
        var g = inner.Geometry;
        _weight = new Tensor(g.ColumnChannels, g.ImageChannels, g.KernelHeight, g.KernelWidth);
        _weightGradient = new Tensor(g.ColumnChannels, g.ImageChannels, g.KernelHeight, g.KernelWidth);

        // Phase (r, q)'s kernel holds taps (sh·a + r, sw·b + q) of the outer one: rows a < ⌈(kh − r)/sh⌉ and columns
        // b < ⌈(kw − q)/sw⌉, zeros after (7x7/2: 49 of the 64 taps of four 4x4 phase kernels).
        int sh = outer.StrideHeight, sw = outer.StrideWidth;
        var taps = new byte[2 * g.ImageChannels];
        for (var channel = 0; channel < g.ImageChannels; channel++)
        {
            int phase = channel % (sh * sw), r = phase / sw, q = phase % sw;
            taps[2 * channel] = (byte)Ceiling(outer.KernelHeight - r, sh);
            taps[(2 * channel) + 1] = (byte)Ceiling(outer.KernelWidth - q, sw);
        }

        inner.ForwardChannelTaps = SkipZeroTaps ? taps : null;
    }

    /// <summary>Switch for tests and tuning: false runs the whole phase kernels forward too; read when a layer is built.</summary>
    internal static bool SkipZeroTaps { get; set; } = true;

    /// <summary>The phase form of <paramref name="g"/>, or null where it does not apply or does not pay (see the remarks).</summary>
    public static SpaceToDepthConvolution? TryCreate(in ConvolutionGeometry g)
    {
        int sh = g.StrideHeight, sw = g.StrideWidth;
        if ((sh == 1 && sw == 1) || g.Groups != 1 || g.DilationHeight != 1 || g.DilationWidth != 1 || g.OutputHeight < 1 || g.OutputWidth < 1)
        {
            return null;
        }

        int kh = Ceiling(g.KernelHeight, sh), kw = Ceiling(g.KernelWidth, sw);
        if ((double)(kh * sh * kw * sw) > MaxTapGrowth * g.KernelHeight * g.KernelWidth)
        {
            return null;
        }

        var inner = new ConvolutionEngine(new ConvolutionGeometry(
            g.ImageChannels * sh * sw, g.OutputHeight + kh - 1, g.OutputWidth + kw - 1, g.ColumnChannels, g.OutputHeight, g.OutputWidth,
            kh, kw, 1, 1, 0, 0, 1, 1, 1));
        return inner.IsDirect ? new SpaceToDepthConvolution(g, inner) : null;
    }

    /// <summary>columnSide = the strided convolution of image (+ bias).</summary>
    public override void Lower(Tensor image, Tensor columnSide, Tensor weight, Tensor? bias, bool inference, ConvolutionEpilogue? epilogue)
    {
        PrepareWeight(weight);
        _inner.Lower(Phases(image), columnSide, _weight, bias, inference, epilogue);
    }

    /// <inheritdoc />
    public override void LowerBackward(Tensor image, Tensor dColumnSide, Tensor weight, Tensor? weightGradient, Tensor? biasGradient, Tensor? imageGradient)
    {
        PrepareWeight(weight);
        var g = _inner.Geometry;
        var gradients = imageGradient is null ? null : Tensor.Ensure(ref _imageGradients, image.Rows, [g.ImageChannels, g.ImageHeight, g.ImageWidth]);
        if (weightGradient is not null)
        {
            _weightGradient.Clear();
        }

        _inner.LowerBackward(Phases(image), dColumnSide, _weight, weightGradient is null ? null : _weightGradient, biasGradient, gradients);
        if (weightGradient is not null)
        {
            Map(weightGradient.Span, _weightGradient.Span, toPhases: false);
        }

        if (imageGradient is not null)
        {
            Run(scatter: true, gradients!, imageGradient);
        }
    }

    /// <inheritdoc />
    public override void Execute(int index)
    {
        // One item per sample: the phases of its channels, gathered from the image or scattered back to it.
        var g = _inner.Geometry;
        var outer = _outer;
        int sh = outer.StrideHeight, sw = outer.StrideWidth, h = outer.ImageHeight, w = outer.ImageWidth;
        int ph = g.ImageHeight, pw = g.ImageWidth;
        fixed (float* from = _from!.Data, to = _to!.Data)
        {
            var full = (_scatter ? to : from) + ((long)index * outer.ImageSize);
            var phases = (_scatter ? from : to) + ((long)index * g.ImageSize);
            if (_scatter)
            {
                new Span<float>(full, outer.ImageSize).Clear();
            }

            for (var c = 0; c < outer.ImageChannels; c++)
            {
                var image = full + ((long)c * h * w);
                for (var phase = 0; phase < sh * sw; phase++)
                {
                    int r = phase / sw, q = phase % sw;
                    var plane = phases + ((long)((c * sh * sw) + phase) * ph * pw);
                    if (_scatter)
                    {
                        ScatterPlane(plane, image, h, w, ph, pw, r - outer.PadTop, q - outer.PadLeft, sh, sw);
                    }
                    else
                    {
                        GatherPlane(image, plane, h, w, ph, pw, r - outer.PadTop, q - outer.PadLeft, sh, sw);
                    }
                }
            }
        }
    }

    private static int Ceiling(int value, int by) => (value + by - 1) / by;

    /// <summary>The batch's phases, made from <paramref name="image"/>.</summary>
    private Tensor Phases(Tensor image)
    {
        var g = _inner.Geometry;
        var images = Tensor.Ensure(ref _images, image.Rows, [g.ImageChannels, g.ImageHeight, g.ImageWidth]);
        Run(scatter: false, image, images);
        return images;
    }

    /// <summary>The phase weights from the weights (once for weights that cannot change).</summary>
    private void PrepareWeight(Tensor weight)
    {
        if (_weightMade && weight.ValuesFixed)
        {
            return;
        }

        Map(weight.Span, _weight.Span, toPhases: true);
        _weight.ValuesFixed = weight.ValuesFixed;
        _weightMade = true;
    }

    /// <summary>
    /// Between the weights [Co, Ci, kh, kw] and the phase weights [Co, Ci·sh·sw, ⌈kh/sh⌉, ⌈kw/sw⌉]: to the phases, every
    /// phase tap is set (zero past the kernel); back, every real tap's phase value is added.
    /// </summary>
    private void Map(Span<float> weights, Span<float> phaseWeights, bool toPhases)
    {
        var o = _outer;
        var g = _inner.Geometry;
        int sh = o.StrideHeight, sw = o.StrideWidth, kh = g.KernelHeight, kw = g.KernelWidth;
        for (var co = 0; co < o.ColumnChannels; co++)
        {
            for (var c = 0; c < o.ImageChannels; c++)
            {
                for (var r = 0; r < sh; r++)
                {
                    for (var q = 0; q < sw; q++)
                    {
                        var phase = ((co * g.ImageChannels) + (((c * sh) + r) * sw) + q) * kh * kw;
                        for (var a = 0; a < kh; a++)
                        {
                            for (var b = 0; b < kw; b++)
                            {
                                int dy = (sh * a) + r, dx = (sw * b) + q;
                                var inside = dy < o.KernelHeight && dx < o.KernelWidth;
                                var tap = inside ? (((((co * o.ImageChannels) + c) * o.KernelHeight) + dy) * o.KernelWidth) + dx : -1;
                                if (toPhases)
                                {
                                    phaseWeights[phase + (a * kw) + b] = inside ? weights[tap] : 0f;
                                }
                                else if (inside)
                                {
                                    weights[tap] += phaseWeights[phase + (a * kw) + b];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private void Run(bool scatter, Tensor from, Tensor to)
    {
        (_scatter, _from, _to) = (scatter, from, to);
        try
        {
            ForEachSample(from.Rows);
        }
        finally
        {
            (_from, _to) = (null, null);
        }
    }
}
