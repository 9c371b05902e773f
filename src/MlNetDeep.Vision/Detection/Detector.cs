using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Training;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// A detection method as the one detection trainer (ML.NET's <c>NeuralNetworkTask.Detection</c>) uses it: a network
/// that maps an image [C, H, W] to a fixed-size output, a loss that trains that output on the image's boxes, and the
/// decoding of one output into boxes. YOLO is one (<see cref="YoloDetector"/>), Faster R-CNN in miniature another (<see cref="TwoStageDetector"/>).
/// </summary>
/// <remarks>
/// <para>The contract:</para>
/// <list type="bullet">
/// <item><see cref="CreateNetwork"/> returns a new, unbuilt network; the trainer builds it on [<see cref="Channels"/>,
/// <see cref="ImageHeight"/>, <see cref="ImageWidth"/>] with its seed. Its output has <see cref="OutputShape"/> per image
/// (any layout the detector likes: the trainer and the scorer only move it around).</item>
/// <item><see cref="CreateLoss"/>'s targets are the image's objects in the BoxTargets layout, [maxObjects, 5] of
/// (class index, xmin, ymin, xmax, ymax) in input pixels (edges), class −1 for empty slots. Its
/// <see cref="Loss.SpatialTargets"/> must be a <see cref="BoxTargets"/>, so that augmentation moves the boxes with the
/// pixels.</item>
/// <item><see cref="Decode"/> turns one image's output into detections in pixels of the network's input, after the
/// confidence threshold, per-class non-max suppression and the cap of <see cref="Thresholds"/>, by decreasing score.
/// It is called from many scoring threads at once: a detector is immutable.</item>
/// <item>Saving: <see cref="Save"/> writes the common fields and <see cref="SaveSettings"/>'s; a derived class
/// registers a loader for its <see cref="Kind"/> with <see cref="Register"/> and reads its own settings back in a
/// constructor that calls <see cref="Detector(JsonObject)"/>. A file is untrusted: a loader validates every value and
/// throws <see cref="InvalidDataException"/> naming it.</item>
/// </list>
/// </remarks>
public abstract class Detector
{
    /// <summary>The largest image side and class count a saved detector may declare (a file is untrusted).</summary>
    private const int MaxSide = 1 << 14;

    private const int MaxClasses = 1 << 16;

    private static readonly ConcurrentDictionary<string, Func<JsonObject, Detector>> Loaders = new(StringComparer.Ordinal)
    {
        [YoloDetector.KindName] = saved => new YoloDetector(saved),
        [TwoStageDetector.KindName] = saved => new TwoStageDetector(saved),
    };

    private readonly string[] _classNames;

    /// <summary>Creates a detector of images [<paramref name="channels"/>, <paramref name="imageHeight"/>, <paramref name="imageWidth"/>].</summary>
    /// <param name="channels">The image channels.</param>
    /// <param name="imageHeight">The image height in pixels.</param>
    /// <param name="imageWidth">The image width in pixels.</param>
    /// <param name="classNames">The class names, indexed by class.</param>
    /// <param name="thresholds">The scoring thresholds.</param>
    protected Detector(int channels, int imageHeight, int imageWidth, IReadOnlyList<string> classNames, DetectionThresholds thresholds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0 || classNames.Distinct(StringComparer.Ordinal).Count() != classNames.Count)
        {
            throw new ArgumentException($"A detector needs at least one class and distinct class names; got [{string.Join(", ", classNames)}].", nameof(classNames));
        }

        Channels = channels;
        ImageHeight = imageHeight;
        ImageWidth = imageWidth;
        _classNames = [.. classNames];
        Thresholds = thresholds.Checked();
    }

    /// <summary>Reads the common fields of a saved detector (see <see cref="Save"/>), validating each.</summary>
    /// <param name="saved">The object <see cref="Save"/> wrote.</param>
    /// <exception cref="InvalidDataException">A field is missing or out of range.</exception>
    protected Detector(JsonObject saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        Channels = Int(saved, "channels", 1, 4096);
        ImageHeight = Int(saved, "imageHeight", 1, MaxSide);
        ImageWidth = Int(saved, "imageWidth", 1, MaxSide);
        if (saved["classNames"] is not JsonArray names || names.Count == 0 || names.Count > MaxClasses)
        {
            throw new InvalidDataException($"The saved detector's 'classNames' must be an array of 1 to {MaxClasses} names.");
        }

        _classNames = [.. names.Select((n, i) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new InvalidDataException($"The saved detector's class name {i} is not a string."))];
        if (_classNames.Distinct(StringComparer.Ordinal).Count() != _classNames.Length)
        {
            throw new InvalidDataException("The saved detector's class names are not distinct.");
        }

        try
        {
            Thresholds = new DetectionThresholds(Float(saved, "scoreThreshold"), Float(saved, "iouThreshold"), Int(saved, "maxDetections", 1, 1 << 20)).Checked();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"The saved detector's thresholds are out of range: {e.Message}", e);
        }
    }

    /// <summary>The name a saved detector records, which selects its loader (such as "yolo").</summary>
    public abstract string Kind { get; }

    /// <summary>The image channels the network reads.</summary>
    public int Channels { get; }

    /// <summary>The image height in pixels; boxes are in pixels of this image.</summary>
    public int ImageHeight { get; }

    /// <summary>The image width in pixels.</summary>
    public int ImageWidth { get; }

    /// <summary>The class names, indexed by class.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>K, the number of classes.</summary>
    public int ClassCount => _classNames.Length;

    /// <summary>The scoring thresholds <see cref="Decode"/> applies.</summary>
    public DetectionThresholds Thresholds { get; }

    /// <summary>The shape of the network's output for one image.</summary>
    public abstract int[] OutputShape { get; }

    /// <summary>The number of output values per image.</summary>
    public int OutputLength => Tensor.ProductOf(OutputShape);

    /// <summary>A new, unbuilt network from images [C, H, W] to <see cref="OutputShape"/>.</summary>
    public abstract Layer CreateNetwork();

    /// <summary>The training loss on BoxTargets rows [maxObjects, 5]; its <see cref="Loss.SpatialTargets"/> is a <see cref="BoxTargets"/>.</summary>
    public abstract Loss CreateLoss();

    /// <summary>
    /// Adds the detections of one image's network output to <paramref name="detections"/> (cleared first): boxes in
    /// pixels of the input image, clipped to it, after <see cref="Thresholds"/>, by decreasing score.
    /// </summary>
    /// <param name="output">The output for one image, <see cref="OutputLength"/> values.</param>
    /// <param name="detections">Receives the detections.</param>
    public abstract void Decode(ReadOnlySpan<float> output, List<DetectedObject> detections);

    /// <summary>The detector as JSON: its kind, the common fields and <see cref="SaveSettings"/>'s.</summary>
    public JsonObject Save()
    {
        var saved = new JsonObject
        {
            ["kind"] = Kind,
            ["channels"] = Channels,
            ["imageHeight"] = ImageHeight,
            ["imageWidth"] = ImageWidth,
            ["classNames"] = new JsonArray([.. _classNames.Select(n => (JsonNode)n)]),
            ["scoreThreshold"] = Thresholds.Score,
            ["iouThreshold"] = Thresholds.IoU,
            ["maxDetections"] = Thresholds.MaxDetections,
        };
        SaveSettings(saved);
        return saved;
    }

    /// <summary>Loads a detector that <see cref="Save"/> wrote, through the loader registered for its kind.</summary>
    /// <param name="saved">The saved object.</param>
    /// <exception cref="InvalidDataException">An unknown kind, or a missing or invalid field.</exception>
    public static Detector Load(JsonObject saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var kind = saved["kind"] is JsonValue v && v.TryGetValue<string>(out var k) ? k : throw new InvalidDataException("The saved detector has no 'kind'.");
        if (!Loaders.TryGetValue(kind, out var load))
        {
            throw new InvalidDataException($"The saved detector is of the unknown kind '{kind}'; known: {string.Join(", ", Loaders.Keys.Order(StringComparer.Ordinal))}.");
        }

        try
        {
            return load(saved);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"The saved '{kind}' detector is invalid: {e.Message}", e);
        }
    }

    /// <summary>Registers the loader of a detector kind (the built-in "yolo" and "two-stage" are registered already).</summary>
    /// <param name="kind">The kind, as <see cref="Kind"/> says it.</param>
    /// <param name="load">Creates the detector from its saved object (calling <see cref="Detector(JsonObject)"/>).</param>
    public static void Register(string kind, Func<JsonObject, Detector> load)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(load);
        Loaders[kind] = load;
    }

    /// <summary>Writes the derived detector's own settings into <paramref name="saved"/> (beside the common fields).</summary>
    /// <param name="saved">The object being saved.</param>
    protected abstract void SaveSettings(JsonObject saved);

    /// <summary>An integer field of a saved detector in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <param name="saved">The saved object.</param>
    /// <param name="name">The field.</param>
    /// <param name="min">The least value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
    protected static int Int(JsonObject saved, string name, int min, int max)
    {
        ArgumentNullException.ThrowIfNull(saved);
        return saved[name] is JsonValue v && v.TryGetValue<int>(out var x) && x >= min && x <= max
            ? x
            : throw new InvalidDataException($"The saved detector's '{name}' must be an integer in [{min}, {max}]; it is {saved[name]?.ToJsonString() ?? "missing"}.");
    }

    /// <summary>A finite Single field of a saved detector.</summary>
    /// <param name="saved">The saved object.</param>
    /// <param name="name">The field.</param>
    protected static float Float(JsonObject saved, string name)
    {
        ArgumentNullException.ThrowIfNull(saved);
        return saved[name] is JsonValue v && v.TryGetValue<float>(out var x) && float.IsFinite(x)
            ? x
            : throw new InvalidDataException($"The saved detector's '{name}' must be a finite number; it is {saved[name]?.ToJsonString() ?? "missing"}.");
    }
}
