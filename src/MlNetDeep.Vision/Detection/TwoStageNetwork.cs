using System.Globalization;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Serialization;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// Faster R-CNN in miniature (seed 001, course 4 week 3, "候选区域"): a backbone of 3 × 3 convolutions (batch
/// normalisation, leaky ReLU) down to the anchors' stride gives the shared feature map; the region proposal network (a
/// 3 × 3 convolution and a 1 × 1 convolution of B·5 channels) scores every anchor and regresses it; the proposals are
/// decoded, clipped, ranked by objectness (ties in a fixed order) and thinned by non-max suppression (IoU <see cref="TwoStageSettings.ProposalIoU"/>)
/// to R a image; <see cref="RoIPooling"/> pools each from the feature map to a fixed grid, and a dense head gives the
/// K + 1 class logits and the box deltas. The output is <see cref="TwoStageSettings"/>'s layout.
/// </summary>
/// <remarks>
/// Training is Faster R-CNN's approximate joint training: the proposals are data for the second stage (no gradient flows
/// through their coordinates); in a training pass the image's true boxes (given by the trainer through
/// <see cref="ITargetConsumer"/>, BoxTargets layout) and two jittered copies of each take the places of the
/// lowest-ranked proposals, as Faster R-CNN adds the true boxes to the proposals, so the head has positives from the first
/// step; the feature map's gradient is the sum of the RPN's and the RoI path's. Proposals are chosen on one thread in a
/// fixed order, and the jitter draws from a stream seeded when the network is built, so the same input and seed give the
/// same bits on any machine.
/// Saved and cloned as one layer of type key "TwoStageNetwork" whose settings are <see cref="TwoStageSettings"/>'s (the
/// sub-networks follow from them), registered with <see cref="LayerRegistry"/> when this assembly loads. It has no ONNX
/// export: the proposal step (decoding, ranking, non-max suppression) is not a stock ONNX graph of these layers.
/// </remarks>
public sealed class TwoStageNetwork : Layer, ITargetConsumer
{
    private readonly Sequential _backbone;
    private readonly Sequential _rpn;
    private readonly RoIPooling _roi;
    private readonly Sequential _head;
    private Tensor? _output;
    private Tensor? _regions;
    private Tensor? _rpnGradient;
    private Tensor? _headGradient;
    private Tensor? _featureGradient;
    private Tensor? _trainingTargets;
    private float[] _keys = [];
    private int[] _order = [];
    private BoundingBox[] _boxes = [];
    private bool[] _taken = [];
    private RandomSource? _jitter;

    // The jittered copies of each true box added to the training regions, and their largest shift and log-scale.
    private const int JitteredCopies = 2;
    private const float JitterShift = 0.15f;
    private const float JitterScale = 0.25f;

    /// <summary>Creates the network.</summary>
    /// <param name="settings">The detector's shape.</param>
    public TwoStageNetwork(TwoStageSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        var width = settings.Width;
        _backbone = new Sequential([]);
        var filters = width;
        var stride = settings.Grid.Stride;
        for (var s = 1; s < stride; s *= 2)
        {
            AddBlock(_backbone, filters, 2);
            filters = Math.Min(filters * 2, width * 2);
        }

        AddBlock(_backbone, filters, 1);
        _rpn = new Sequential(
            new Conv2D(filters, 3, padding: Padding.Same),
            new ReLU(),
            new Conv2D(settings.Grid.AnchorCount * TwoStageSettings.AnchorValues, 1));
        _roi = new RoIPooling(settings.PoolSize, settings.PoolSize, 1f / stride);
        _head = new Sequential(new Flatten(), new Dense(128), new ReLU(), new Dense(settings.HeadValues));
    }

    /// <summary>The detector's shape.</summary>
    public TwoStageSettings Settings { get; }

    /// <summary>The regions of the last forward pass, [N·R, 5] of (image, x1, y1, x2, y2), or null before it.</summary>
    public Tensor? Proposals => _regions;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [.. _backbone.Parameters, .. _rpn.Parameters, .. _head.Parameters];

    /// <inheritdoc />
    public override IReadOnlyList<string> ParameterNames() =>
        [.. _backbone.ParameterNames().Select(n => "backbone." + n), .. _rpn.ParameterNames().Select(n => "rpn." + n), .. _head.ParameterNames().Select(n => "head." + n)];

    /// <inheritdoc />
    public override IReadOnlyList<(string Name, Tensor Value)> Buffers => [.. _backbone.Buffers.Select(b => ("backbone." + b.Name, b.Value))];

    /// <summary>The type key of a saved two-stage network.</summary>
    public const string TypeKey = "TwoStageNetwork";

    /// <inheritdoc />
    public override LayerDescription Describe()
    {
        var s = Settings;
        return new(TypeKey, Name,
        [
            new("imageHeight", LayerDescription.ToSetting(s.Grid.ImageHeight)),
            new("imageWidth", LayerDescription.ToSetting(s.Grid.ImageWidth)),
            new("stride", LayerDescription.ToSetting(s.Grid.Stride)),
            new("anchors", string.Join(";", s.Grid.Anchors.Select(a => LayerDescription.ToSetting(a.Width) + "x" + LayerDescription.ToSetting(a.Height)))),
            new("classCount", LayerDescription.ToSetting(s.ClassCount)),
            new("regionsPerImage", LayerDescription.ToSetting(s.RegionsPerImage)),
            new("poolSize", LayerDescription.ToSetting(s.PoolSize)),
            new("width", LayerDescription.ToSetting(s.Width)),
            new("proposalIoU", LayerDescription.ToSetting(s.ProposalIoU)),
        ]);
    }

    /// <summary>Re-creates a network from its <see cref="Describe"/> (the factory registered under <see cref="TypeKey"/>).</summary>
    /// <param name="d">The description.</param>
    /// <exception cref="InvalidDataException">A setting is missing or malformed.</exception>
    internal static TwoStageNetwork FromDescription(LayerDescription d)
    {
        var anchors = new List<(float Width, float Height)>();
        foreach (var pair in d.GetString("anchors").Split(';'))
        {
            var sides = pair.Split('x');
            if (sides.Length != 2
                || !float.TryParse(sides[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var w)
                || !float.TryParse(sides[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var h))
            {
                throw new InvalidDataException($"layer '{d.Name}': anchor '{pair}' is not WIDTHxHEIGHT (such as 12.5x20).");
            }

            anchors.Add((w, h));
        }

        var grid = new AnchorGrid(d.GetInt32("imageHeight"), d.GetInt32("imageWidth"), d.GetInt32("stride"), anchors);
        return new TwoStageNetwork(new TwoStageSettings(
            grid, d.GetInt32("classCount"), d.GetInt32("regionsPerImage"), d.GetInt32("poolSize"), d.GetInt32("width"), d.GetSingle("proposalIoU")));
    }

    /// <inheritdoc />
    public void SetTrainingTargets(Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        _trainingTargets = targets;
    }

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        var grid = Settings.Grid;
        if (inputShape.Length != 3 || inputShape[1] != grid.ImageHeight || inputShape[2] != grid.ImageWidth)
        {
            throw new ArgumentException(
                $"Layer '{Name}' takes images [C, {grid.ImageHeight}, {grid.ImageWidth}] (its anchor grid's); got input shape {Tensor.Format(inputShape)}.");
        }

        _jitter = random.Fork();
        var features = _backbone.Build(inputShape, random);
        _rpn.Build(features, random);
        var pooled = _roi.Build(features, random);
        _head.Build(pooled, random);
        return [Settings.OutputLength];
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var s = Settings;
        var n = input.Rows;
        var r = s.RegionsPerImage;
        var features = _backbone.Forward(input, training);
        var rpn = _rpn.Forward(features, training);
        var regions = Tensor.Ensure(ref _regions, n * r, [5]);
        for (var i = 0; i < n; i++)
        {
            Propose(rpn.Row(i), i, regions.Data.AsSpan(i * r * 5, r * 5));
            if (training && _trainingTargets is { } truth && truth.Rows == n && truth.RowSize % 5 == 0)
            {
                AddTruth(truth.Row(i), i, regions.Data.AsSpan(i * r * 5, r * 5));
            }
        }

        _trainingTargets = null;

        _roi.SetRegions(regions);
        var head = _head.Forward(_roi.Forward(features, training), training);
        var output = Tensor.Ensure(ref _output, n, [s.OutputLength]);
        for (var i = 0; i < n; i++)
        {
            var row = output.Row(i);
            rpn.Row(i).CopyTo(row);
            for (var k = 0; k < r; k++)
            {
                var region = row.Slice(s.RegionOffset(k), s.RegionValues);
                regions.Data.AsSpan((((i * r) + k) * 5) + 1, 4).CopyTo(region);
                head.Row((i * r) + k).CopyTo(region[4..]);
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

        var s = Settings;
        var n = output.Rows;
        var r = s.RegionsPerImage;
        var rpnGradient = Tensor.Ensure(ref _rpnGradient, n, _rpn.OutputShape);
        var headGradient = Tensor.Ensure(ref _headGradient, n * r, [s.HeadValues]);
        for (var i = 0; i < n; i++)
        {
            var g = outputGradient.Row(i);
            g[..s.RpnLength].CopyTo(rpnGradient.Row(i));
            for (var k = 0; k < r; k++)
            {
                g.Slice(s.RegionOffset(k) + 4, s.HeadValues).CopyTo(headGradient.Row((i * r) + k));
            }
        }

        // The feature map feeds both the RoI path and the RPN: its gradient is the sum of the two.
        var fromRegions = _roi.Backward(_head.Backward(headGradient));
        var featureGradient = Tensor.Ensure(ref _featureGradient, n, _backbone.OutputShape);
        fromRegions.Span.CopyTo(featureGradient.Span);
        System.Numerics.Tensors.TensorPrimitives.Add(featureGradient.Span, _rpn.Backward(rpnGradient).Span, featureGradient.Span);
        _backbone.ComputeInputGradient = ComputeInputGradient;
        return _backbone.Backward(featureGradient);
    }

    private static void AddBlock(Sequential network, int filters, int stride)
    {
        network.Add(new Conv2D(filters, 3, stride: stride, padding: Padding.Same, useBias: false));
        network.Add(new BatchNormalization());
        network.Add(new LeakyReLU(0.1f));
    }

    // Decodes every anchor, ranks by objectness (ties by index), keeps R by greedy NMS; if NMS leaves fewer than R, the
    // suppressed ones fill the rest in rank order so every image has R regions (a fixed output size).
    private void Propose(ReadOnlySpan<float> rpn, int image, Span<float> regions)
    {
        var grid = Settings.Grid;
        var count = grid.Count;
        var plane = grid.FeatureHeight * grid.FeatureWidth;
        if (_keys.Length < count)
        {
            (_keys, _order, _boxes, _taken) = (new float[count], new int[count], new BoundingBox[count], new bool[count]);
        }

        for (var index = 0; index < count; index++)
        {
            var a = index / plane;
            var cell = index % plane;
            var at = (a * TwoStageSettings.AnchorValues * plane) + cell;
            var box = grid.Clip(AnchorGrid.Apply(grid.Anchor(index), rpn[at + plane], rpn[at + (2 * plane)], rpn[at + (3 * plane)], rpn[at + (4 * plane)]));
            _boxes[index] = box;
            var z = rpn[at];

            // Sorting ascending by −z ranks by decreasing objectness; degenerate boxes and NaN go last.
            _keys[index] = box.Width >= 1 && box.Height >= 1 && float.IsFinite(z) ? -z : float.PositiveInfinity;
            _order[index] = index;
            _taken[index] = false;
        }

        // Introsort is not stable but is deterministic: the same scores give the same order on every run and machine.
        Array.Sort(_keys, _order, 0, count);
        var kept = 0;
        var r = Settings.RegionsPerImage;
        for (var o = 0; o < count && kept < r; o++)
        {
            var candidate = _boxes[_order[o]];
            var suppressed = false;
            for (var k = 0; k < kept && !suppressed; k++)
            {
                var x = regions.Slice((k * 5) + 1, 4);
                suppressed = Boxes.IoU(new BoundingBox(x[0], x[1], x[2], x[3]), candidate) > Settings.ProposalIoU;
            }

            if (!suppressed)
            {
                Write(regions, kept++, image, candidate);
                _taken[o] = true;
            }
        }

        for (var o = 0; o < count && kept < r; o++)
        {
            if (!_taken[o])
            {
                Write(regions, kept++, image, _boxes[_order[o]]);
            }
        }
    }

    // The true boxes, then jittered copies of them, replace the last (lowest-ranked) proposals; at most half the
    // regions, so the RPN's own stay sampled. The true boxes alone show the head only exact boxes (IoU 1) as positives
    // until the RPN finds the objects, while at inference every proposal is imperfect. The copies, shifted by up to
    // ±JitterShift of the sides and scaled by up to e^±JitterScale, cover IoU ≈ 0.4–0.9 as Fast R-CNN's sampled proposals
    // do; the loss labels each by its IoU, so those below 0.5 are hard background.
    private void AddTruth(ReadOnlySpan<float> objects, int image, Span<float> regions)
    {
        var r = Settings.RegionsPerImage;
        var slot = r - 1;
        var count = 0;
        Span<BoundingBox> truth = stackalloc BoundingBox[Math.Min(objects.Length / 5, r)];
        for (var o = 0; o < objects.Length / 5 && count < truth.Length; o++)
        {
            var v = objects.Slice(o * 5, 5);
            if (v[0] >= 0 && v[3] > v[1] && v[4] > v[2])
            {
                truth[count++] = new BoundingBox(v[1], v[2], v[3], v[4]);
            }
        }

        for (var copy = 0; copy <= JitteredCopies; copy++)
        {
            for (var o = 0; o < count && slot >= r / 2; o++)
            {
                var box = truth[o];
                if (copy > 0)
                {
                    var random = _jitter!;
                    var x = box.CentreX + (((2 * random.NextFloat()) - 1) * JitterShift * box.Width);
                    var y = box.CentreY + (((2 * random.NextFloat()) - 1) * JitterShift * box.Height);
                    var w = box.Width * MathF.Exp(((2 * random.NextFloat()) - 1) * JitterScale);
                    var h = box.Height * MathF.Exp(((2 * random.NextFloat()) - 1) * JitterScale);
                    box = Settings.Grid.Clip(BoundingBox.FromCentre(x, y, w, h));
                    if (!(box.Width >= 1 && box.Height >= 1))
                    {
                        continue;
                    }
                }

                Write(regions, slot--, image, box);
            }
        }
    }

    private static void Write(Span<float> regions, int k, int image, BoundingBox box)
    {
        var x = regions.Slice(k * 5, 5);
        (x[0], x[1], x[2], x[3], x[4]) = (image, box.XMin, box.YMin, box.XMax, box.YMax);
    }
}
