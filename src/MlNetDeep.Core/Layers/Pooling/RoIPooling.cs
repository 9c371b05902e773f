using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Fast R-CNN's region-of-interest pooling (the seed's "ROI pooling": split each region of the shared feature map into
/// a fixed grid and max-pool each bin), so regions of any size give features of one size for the dense heads. The
/// input is the feature map [N, C, H, W]; the regions, set with <see cref="SetRegions"/> before each forward pass, are
/// [R, 5] of (image index, x1, y1, x2, y2) in input-image pixels (torchvision's <c>roi_pool</c> format); the output is
/// [R, C, outputHeight, outputWidth]. The bins follow torchvision's <c>roi_pool</c> exactly: the corners are scaled by
/// <see cref="SpatialScale"/> and rounded, the region spans (x2 − x1 + 1) × (y2 − y1 + 1) cells (at least 1), bin (i, j)
/// covers rows ⌊i·h/ph⌋ … ⌈(i+1)·h/ph⌉ − 1 from y1 (clipped to the map), and an empty bin gives 0.
/// </summary>
/// <remarks>
/// Backward routes each output gradient to the cell that held the bin's maximum (the first one in row-major order on
/// ties), summing over overlapping regions; it runs on one thread in a fixed order, so the sums are the same bits on
/// any machine. Saving keeps the settings (bins and scale), not the regions: they are data of each call, set again after
/// loading. The ONNX export is MaxRoiPool with a second graph input for the regions (see the exporter).
/// </remarks>
public sealed class RoIPooling : Layer
{
    private Tensor? _regions;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int[] _argmax = [];
    private int _inputRows;

    /// <summary>Creates the layer.</summary>
    /// <param name="outputHeight">ph, the bins per region vertically.</param>
    /// <param name="outputWidth">pw, the bins per region horizontally.</param>
    /// <param name="spatialScale">The feature map's size over the image's (1/16 for a stride-16 backbone).</param>
    public RoIPooling(int outputHeight, int outputWidth, float spatialScale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputWidth, 1);
        if (!(spatialScale > 0 && float.IsFinite(spatialScale)))
        {
            throw new ArgumentOutOfRangeException(nameof(spatialScale), spatialScale, "The spatial scale must be a finite value > 0.");
        }

        OutputHeight = outputHeight;
        OutputWidth = outputWidth;
        SpatialScale = spatialScale;
    }

    /// <summary>ph, the bins per region vertically.</summary>
    public int OutputHeight { get; }

    /// <summary>pw, the bins per region horizontally.</summary>
    public int OutputWidth { get; }

    /// <summary>The feature map's size over the image's.</summary>
    public float SpatialScale { get; }

    /// <summary>The regions of the next forward pass (the last ones set), or null before the first <see cref="SetRegions"/>.</summary>
    public Tensor? Regions => _regions;

    /// <inheritdoc />
    public override LayerDescription Describe() => new(
        "RoIPooling",
        Name,
        [new("outputHeight", LayerDescription.ToSetting(OutputHeight)), new("outputWidth", LayerDescription.ToSetting(OutputWidth)), new("spatialScale", LayerDescription.ToSetting(SpatialScale))]);

    /// <summary>Sets the regions of the next forward pass: [R, 5] of (image index, x1, y1, x2, y2) in image pixels. Not copied.</summary>
    /// <param name="regions">The regions; R ≥ 1.</param>
    public void SetRegions(Tensor regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        if (regions.Rank != 2 || regions.Dim(1) != 5 || regions.Rows < 1)
        {
            throw new ArgumentException($"Layer '{Name}': regions must be [R ≥ 1, 5] of (image, x1, y1, x2, y2); got {Tensor.Format(regions.Shape)}.", nameof(regions));
        }

        _regions = regions;
    }

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        if (inputShape.Length != 3)
        {
            throw new ArgumentException($"Layer '{Name}' pools feature maps [C, H, W]; got input shape {Tensor.Format(inputShape)}.");
        }

        return [inputShape[0], OutputHeight, OutputWidth];
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var regions = _regions ?? throw new InvalidOperationException($"Layer '{Name}': call SetRegions before Forward.");
        var (channels, height, width) = (InputShape[0], InputShape[1], InputShape[2]);
        var r = regions.Rows;
        var output = Tensor.Ensure(ref _output, r, OutputShape);
        var bins = OutputHeight * OutputWidth;
        if (_argmax.Length < r * channels * bins)
        {
            _argmax = new int[r * channels * bins];
        }

        _inputRows = input.Rows;
        var x = input.Data;
        var y = output.Data;
        for (var k = 0; k < r; k++)
        {
            var image = (int)regions[k, 0];
            if (image != regions[k, 0] || (uint)image >= (uint)input.Rows)
            {
                throw new ArgumentException($"Layer '{Name}': region {k} names image {regions[k, 0]}; the batch has {input.Rows} images.");
            }

            var x1 = (int)MathF.Round(regions[k, 1] * SpatialScale, MidpointRounding.AwayFromZero);
            var y1 = (int)MathF.Round(regions[k, 2] * SpatialScale, MidpointRounding.AwayFromZero);
            var x2 = (int)MathF.Round(regions[k, 3] * SpatialScale, MidpointRounding.AwayFromZero);
            var y2 = (int)MathF.Round(regions[k, 4] * SpatialScale, MidpointRounding.AwayFromZero);
            var regionWidth = Math.Max(x2 - x1 + 1, 1);
            var regionHeight = Math.Max(y2 - y1 + 1, 1);
            var binHeight = (float)regionHeight / OutputHeight;
            var binWidth = (float)regionWidth / OutputWidth;
            for (var c = 0; c < channels; c++)
            {
                var plane = ((image * channels) + c) * height * width;
                for (var i = 0; i < OutputHeight; i++)
                {
                    var top = Math.Clamp((int)MathF.Floor(i * binHeight) + y1, 0, height);
                    var bottom = Math.Clamp((int)MathF.Ceiling((i + 1) * binHeight) + y1, 0, height);
                    for (var j = 0; j < OutputWidth; j++)
                    {
                        var left = Math.Clamp((int)MathF.Floor(j * binWidth) + x1, 0, width);
                        var right = Math.Clamp((int)MathF.Ceiling((j + 1) * binWidth) + x1, 0, width);
                        var at = (((k * channels) + c) * bins) + (i * OutputWidth) + j;
                        var best = -1;
                        var max = float.NegativeInfinity;
                        for (var row = top; row < bottom; row++)
                        {
                            for (var column = left; column < right; column++)
                            {
                                var index = plane + (row * width) + column;
                                if (x[index] > max || best < 0)
                                {
                                    (best, max) = (index, x[index]);
                                }
                            }
                        }

                        y[at] = best < 0 ? 0 : max;
                        _argmax[at] = best;
                    }
                }
            }
        }

        return output;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var output = _output ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        if (outputGradient.Length != output.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected {Tensor.Format(output.Shape)}.", nameof(outputGradient));
        }

        var dx = Tensor.Ensure(ref _inputGradient, _inputRows, InputShape);
        dx.Clear();
        var g = outputGradient.Data;
        for (var i = 0; i < output.Length; i++)
        {
            if (_argmax[i] >= 0)
            {
                dx.Data[_argmax[i]] += g[i];
            }
        }

        return dx;
    }
}
