using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Internal;
using MlNetDeep.ML.Segmentation;
using MlNetDeep.Serialization;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.ML;

/// <summary>
/// Saves and loads whole fitted pipelines that mix ML.NET's transforms with MlNetDeep networks and image steps, in one file:
/// <c>mlContext.Model.SaveWithNetworks(model, inputSchema, path)</c> and <c>mlContext.Model.LoadWithNetworks(path, out inputSchema)</c>.
/// The file is a zip holding a manifest (with each image step's fitted settings), each run of ML.NET transformers saved by
/// ML.NET itself, and each network in MlNetDeep's network format. Saving is atomic (a temporary file renamed over the target); a corrupt or truncated file
/// is rejected with <see cref="InvalidDataException"/>.
/// </summary>
public static class NetworkModelPersistence
{
    /// <summary>The file format's name in the manifest.</summary>
    public const string Format = "MlNetDeep.Pipeline";

    /// <summary>The current format version: 2 added the SHA-256 of every entry and of the manifest.</summary>
    public const int FormatVersion = 2;

    private const string ManifestEntry = "manifest.json";
    private const string ChecksumEntry = "manifest.sha256";
    private const string InputSchemaEntry = "input-schema.zip";

    /// <summary>The largest manifest read (it holds fitted statistics such as per-feature means).</summary>
    private const long MaxManifestBytes = 512L << 20;

    /// <summary>Saves <paramref name="model"/>, fitted on data of <paramref name="inputSchema"/>, to <paramref name="path"/>.</summary>
    /// <remarks>The write is atomic: a temporary file beside <paramref name="path"/> is renamed over it when complete, and
    /// temporaries that killed processes left in that folder are removed.</remarks>
    /// <exception cref="InvalidOperationException">A network holds a NaN or infinite weight (nothing is written).</exception>
    public static void SaveWithNetworks(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var entries = Entries(catalog, Flatten(model), inputSchema);
        AtomicFile.Write(path, file =>
        {
            using var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, bytes) in entries)
            {
                // Stored, not deflated: weights barely compress, and readers can then hold every entry to a small
                // inflation ratio, which is what rejects zip bombs.
                using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(bytes);
            }
        });
    }

    /// <summary>Loads a pipeline saved by <see cref="SaveWithNetworks"/>, ready for Transform and CreatePredictionEngine.</summary>
    /// <remarks>Nothing in the file is trusted: every entry must match the SHA-256 and length the manifest records, the
    /// manifest must match its own checksum entry, entries are read within size and inflation bounds, the networks'
    /// declared sizes are checked against the values they hold before anything is allocated, and the stages are
    /// cross-checked (class count against network outputs, feature shapes against the networks' inputs, the chain
    /// against the saved input schema).</remarks>
    /// <exception cref="InvalidDataException">The file is not such a pipeline, has another version, or is corrupt,
    /// truncated or inconsistent; the message names the file and what is wrong.</exception>
    public static ITransformer LoadWithNetworks(this ModelOperationsCatalog catalog, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var file = File.OpenRead(path);
            using var zip = new ZipArchive(file, ZipArchiveMode.Read);
            return Read(catalog, zip, file.Length, out inputSchema);
        }
        catch (Exception e) when (e is not (FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or OutOfMemoryException))
        {
            throw new InvalidDataException($"'{path}' is not a readable MlNetDeep pipeline: {e.Message}", e);
        }
    }

    /// <summary>What MlNetDeep's transformers throw from ICanSaveModel.Save: ML.NET's ModelSaveContext is internal to Microsoft.ML.</summary>
    internal static NotSupportedException SaveNotSupported(string what) => new(
        $"mlContext.Model.Save cannot save a pipeline that contains an MlNetDeep {what} (ML.NET's save format is closed to " +
        "third-party transformers). Use mlContext.Model.SaveWithNetworks(model, inputSchema, path) and " +
        "mlContext.Model.LoadWithNetworks(path, out var inputSchema) from MlNetDeep.ML instead.");

    private static List<ITransformer> Flatten(ITransformer model)
    {
        var result = new List<ITransformer>();
        void Add(ITransformer t)
        {
            if (t is IEnumerable<ITransformer> chain)
            {
                foreach (var inner in chain)
                {
                    Add(inner);
                }
            }
            else
            {
                result.Add(t);
            }
        }

        Add(model);
        return result;
    }

    /// <summary>The file's entries, in order: every stage's bytes, the input schema, the manifest that records their
    /// lengths and SHA-256, and the manifest's own checksum.</summary>
    private static List<(string Name, byte[] Bytes)> Entries(ModelOperationsCatalog catalog, List<ITransformer> stages, DataViewSchema inputSchema)
    {
        var entries = new List<(string Name, byte[] Bytes)>();
        JsonObject Add(string name, Action<Stream> write, JsonObject? into = null)
        {
            var buffer = new MemoryStream();
            write(buffer);
            var bytes = buffer.ToArray();
            entries.Add((name, bytes));
            into ??= [];
            into["entry"] = name;
            into["length"] = bytes.Length;
            into["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes));
            return into;
        }

        var manifest = new JsonArray();
        var schema = inputSchema;
        var input = Add(InputSchemaEntry, s => catalog.Save(new TransformerChain<ITransformer>(), inputSchema, s));
        var index = 0;
        var start = 0;
        while (start < stages.Count)
        {
            var name = $"stage-{index++}";
            if (stages[start] is NeuralNetworkTransformer network)
            {
                manifest.Add(Add(name + ".network", s => NetworkFile.Save(network.Network, s), new JsonObject
                {
                    ["kind"] = "network",
                    ["task"] = network.Task.ToString(),
                    ["featureColumn"] = network.FeatureColumnName,
                    ["featureShape"] = new JsonArray([.. network.FeatureShapeArray.Select(d => (JsonNode)d)]),
                    ["outputs"] = network.OutputCount,
                    ["keyValues"] = KeyValuesJson(network.KeyValues),
                    ["scoreColumn"] = network.ColumnNames.Score,
                    ["predictedLabelColumn"] = network.ColumnNames.PredictedLabel,
                    ["probabilityColumn"] = network.ColumnNames.Probability,
                    ["boxesColumn"] = network.ColumnNames.Boxes,
                    ["detector"] = network.Detector?.Save(),
                    ["segmentation"] = network.Segmentation is { } s ? new JsonObject
                    {
                        ["classes"] = s.Classes,
                        ["height"] = s.Height,
                        ["width"] = s.Width,
                        ["keyMask"] = s.KeyMask,
                        ["scores"] = s.Scores,
                    } : null,
                }));
                schema = network.GetOutputSchema(schema);
                start++;
                continue;
            }

            if (stages[start] is ImageAugmentationTransformer image)
            {
                manifest.Add(new JsonObject { ["kind"] = "image", ["settings"] = image.Save() });
                schema = image.GetOutputSchema(schema);
                start++;
                continue;
            }

            var end = start;
            while (end < stages.Count && stages[end] is not (NeuralNetworkTransformer or ImageAugmentationTransformer))
            {
                end++;
            }

            var segment = new TransformerChain<ITransformer>([.. stages.Skip(start).Take(end - start)]);
            var segmentSchema = schema;
            manifest.Add(Add(name + ".mlnet.zip", s => catalog.Save(segment, segmentSchema, s), new JsonObject { ["kind"] = "mlnet" }));
            schema = segment.GetOutputSchema(schema);
            start = end;
        }

        var root = new JsonObject { ["format"] = Format, ["version"] = FormatVersion, ["inputSchema"] = input, ["stages"] = manifest };
        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(root);
        entries.Add((ManifestEntry, manifestBytes));
        entries.Add((ChecksumEntry, Encoding.UTF8.GetBytes($"{Convert.ToHexStringLower(SHA256.HashData(manifestBytes))}  {ManifestEntry}\n")));
        return entries;
    }

    private static TransformerChain<ITransformer> Read(ModelOperationsCatalog catalog, ZipArchive zip, long archiveLength, out DataViewSchema inputSchema)
    {
        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            if (!entries.TryAdd(entry.FullName, entry))
            {
                throw new InvalidDataException($"the entry '{entry.FullName}' appears twice.");
            }
        }

        ZipArchiveEntry Entry(string name) => entries.TryGetValue(name, out var e) ? e : throw new InvalidDataException($"the file has no entry '{name}'.");

        var checksum = Encoding.UTF8.GetString(BoundedZip.Read(Entry(ChecksumEntry), archiveLength, 1024));
        var manifestBytes = BoundedZip.Read(Entry(ManifestEntry), archiveLength, MaxManifestBytes);
        if (checksum.Length < 64 || !checksum[64..].TrimEnd('\n').Equals($"  {ManifestEntry}", StringComparison.Ordinal)
            || !checksum[..64].Equals(Convert.ToHexStringLower(SHA256.HashData(manifestBytes)), StringComparison.Ordinal))
        {
            throw new InvalidDataException($"the manifest does not match its checksum in '{ChecksumEntry}': the file is corrupt or was edited.");
        }

        var root = JsonFields.Object(JsonNode.Parse(manifestBytes), "the manifest");
        if (JsonFields.OptionalString(root, "format", "the manifest") != Format)
        {
            throw new InvalidDataException($"the manifest does not name the format '{Format}'.");
        }

        var version = JsonFields.Int32(root, "version", "the manifest");
        if (version != FormatVersion)
        {
            throw new InvalidDataException(version < FormatVersion
                ? $"it was saved in pipeline format {version}, before files were checksummed; this library reads format {FormatVersion}. Fit and save the pipeline again."
                : $"pipeline format version {version} is not supported; this library reads version {FormatVersion}.");
        }

        var listed = new HashSet<string>(StringComparer.Ordinal) { ManifestEntry, ChecksumEntry };
        byte[] Verified(JsonObject record, string where)
        {
            var name = JsonFields.String(record, "entry", where);
            if (!listed.Add(name))
            {
                throw new InvalidDataException($"{where} names entry '{name}', which another record already names.");
            }

            var length = JsonFields.Int32(record, "length", where, 0);
            var sha = JsonFields.String(record, "sha256", where);
            var bytes = BoundedZip.Read(Entry(name), archiveLength, BoundedZip.MaxEntryBytes, length);
            if (!sha.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), StringComparison.Ordinal))
            {
                throw new InvalidDataException($"entry '{name}' does not match the SHA-256 the manifest records: the file is corrupt or was edited.");
            }

            return bytes;
        }

        var inputBytes = Verified(JsonFields.Object(JsonFields.Required(root, "inputSchema", "the manifest"), "the manifest's 'inputSchema'"), "the manifest's 'inputSchema'");
        BoundedZip.Inspect(inputBytes, InputSchemaEntry);
        catalog.Load(new MemoryStream(inputBytes, writable: false), out inputSchema);
        var stages = new List<ITransformer>();
        var stageNodes = JsonFields.Array(root, "stages", "the manifest");
        for (var i = 0; i < stageNodes.Count; i++)
        {
            var where = $"stage {i} of the manifest";
            var stage = JsonFields.Object(stageNodes[i], where);
            switch (JsonFields.String(stage, "kind", where))
            {
                case "image":
                    stages.Add(ImageAugmentationTransformer.Load(JsonFields.Object(JsonFields.Required(stage, "settings", where), where + "'s settings"), where));
                    break;
                case "mlnet":
                    var mlnet = Verified(stage, where);
                    BoundedZip.Inspect(mlnet, where);
                    stages.AddRange(Flatten(catalog.Load(new MemoryStream(mlnet, writable: false), out _)));
                    break;
                case "network":
                    stages.Add(NetworkStage(stage, Verified(stage, where), where));
                    break;
                case var kind:
                    throw new InvalidDataException($"{where} has the unknown kind '{kind}'.");
            }
        }

        var unlisted = entries.Keys.FirstOrDefault(name => !listed.Contains(name));
        if (unlisted is not null)
        {
            throw new InvalidDataException($"the file has an entry '{unlisted}' that the manifest does not list.");
        }

        var chain = new TransformerChain<ITransformer>([.. stages]);
        try
        {
            chain.GetOutputSchema(inputSchema);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"the saved stages do not fit the saved input schema: {e.Message}", e);
        }

        return chain;
    }

    /// <summary>A network stage, cross-checked: the network's input against the feature shape, its outputs against the task and classes.</summary>
    private static NeuralNetworkTransformer NetworkStage(JsonObject stage, byte[] bytes, string where)
    {
        var taskName = JsonFields.String(stage, "task", where);
        if (!Enum.GetNames<NeuralNetworkTask>().Contains(taskName, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{where} has the unknown task '{taskName}'; expected one of {string.Join(", ", Enum.GetNames<NeuralNetworkTask>())}.");
        }

        var task = Enum.Parse<NeuralNetworkTask>(taskName);
        var featureColumn = JsonFields.String(stage, "featureColumn", where);
        var featureShape = JsonFields.Shape(stage, "featureShape", where);
        var outputs = JsonFields.Int32(stage, "outputs", where, 1);
        var keyValues = stage.TryGetPropertyValue("keyValues", out var kv) && kv is not null
            ? KeyValuesFromJson(JsonFields.Object(kv, where + "'s 'keyValues'"), where + "'s 'keyValues'")
            : null;
        var detector = task == NeuralNetworkTask.Detection
            ? Detector.Load(JsonFields.Object(JsonFields.Required(stage, "detector", where), where + "'s 'detector'"))
            : null;
        var segmentation = task == NeuralNetworkTask.Segmentation ? SegmentationStage(stage, keyValues, where) : null;
        var network = NetworkFile.Load(new MemoryStream(bytes, writable: false));

        // The transformer feeds [N, ..featureShape]: a flat shape needs the same size, any other the network's very shape.
        var fits = featureShape.Length == 1
            ? Tensor.ProductOf(network.InputShape) == featureShape[0]
            : network.InputShape.SequenceEqual(featureShape);
        if (!fits)
        {
            throw new InvalidDataException(
                $"{where} reads features of shape [{string.Join(", ", featureShape)}] but its network takes {Tensor.Format(network.InputShape)}.");
        }

        var networkOutputs = Tensor.ProductOf(network.OutputShape);
        var expected = task switch
        {
            NeuralNetworkTask.MulticlassClassification => keyValues?.Count ?? outputs,
            NeuralNetworkTask.Embedding => Math.Max(1, outputs),
            NeuralNetworkTask.Detection => detector!.OutputLength,
            NeuralNetworkTask.Segmentation => segmentation!.Outputs,
            _ => 1,
        };
        if (networkOutputs != outputs || outputs != expected)
        {
            throw new InvalidDataException(
                $"{where} records {outputs} outputs for {task}{(keyValues is null ? string.Empty : $" with {keyValues.Count} classes")}, but its network has {networkOutputs}.");
        }

        // Files written before the output column names were options have none: ML.NET's defaults.
        var d = OutputColumnNames.Default;
        OutputColumnNames names;
        try
        {
            names = new OutputColumnNames(
                JsonFields.OptionalString(stage, "scoreColumn", where) ?? d.Score,
                JsonFields.OptionalString(stage, "predictedLabelColumn", where) ?? d.PredictedLabel,
                JsonFields.OptionalString(stage, "probabilityColumn", where) ?? d.Probability,
                JsonFields.OptionalString(stage, "boxesColumn", where) ?? d.Boxes).Checked();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{where}: {e.Message}", e);
        }

                if (detector is not null && Tensor.ProductOf(featureShape) != detector.Channels * detector.ImageHeight * detector.ImageWidth)
        {
            throw new InvalidDataException(
                $"{where} reads features of shape [{string.Join(", ", featureShape)}] but its detector takes images [{detector.Channels}, {detector.ImageHeight}, {detector.ImageWidth}].");
        }

        if (segmentation is not null && !network.OutputShape.SequenceEqual([segmentation.Classes, segmentation.Height, segmentation.Width]))
        {
            throw new InvalidDataException(
                $"{where} records masks of {segmentation.Height}×{segmentation.Width} in {segmentation.Classes} classes, but its network outputs {Tensor.Format(network.OutputShape)}.");
        }

        return new NeuralNetworkTransformer(task, network, featureShape, featureColumn, outputs, keyValues, history: null, names, detector, segmentation);
    }

    /// <summary>A segmentation stage's output shape, checked (a key mask's classes against its key values).</summary>
    private static SegmentationOutput SegmentationStage(JsonObject stage, LabelKeyValues? keyValues, string where)
    {
        var node = JsonFields.Object(JsonFields.Required(stage, "segmentation", where), where + "'s 'segmentation'");
        var inner = where + "'s 'segmentation'";
        var output = new SegmentationOutput(
            JsonFields.Int32(node, "classes", inner, 2),
            JsonFields.Int32(node, "height", inner, 1),
            JsonFields.Int32(node, "width", inner, 1),
            JsonFields.Boolean(node, "keyMask", inner),
            JsonFields.Boolean(node, "scores", inner));
        if ((long)output.Classes * output.Height * output.Width > int.MaxValue || (keyValues is not null && (!output.KeyMask || keyValues.Count != output.Classes)))
        {
            throw new InvalidDataException($"{inner} records {output.Classes} classes of {output.Height}×{output.Width} pixels, which do not fit its key values or an array.");
        }

        return output;
    }

    private static JsonNode? KeyValuesJson(LabelKeyValues? keyValues) => keyValues is null ? null : new JsonObject
    {
        ["type"] = keyValues.ItemType.RawType.Name,
        ["values"] = JsonSerializer.SerializeToNode(keyValues.Values.Cast<object>().Select(v => v is ReadOnlyMemory<char> m ? m.ToString() : v).ToArray()),
    };

    private static LabelKeyValues KeyValuesFromJson(JsonObject node, string where)
    {
        var type = JsonFields.String(node, "type", where);
        var values = JsonFields.Array(node, "values", where);
        T[] Read<T>(string expected) => [.. values.Select((v, i) => v is JsonValue j && j.TryGetValue<T>(out var x)
            ? x
            : throw new InvalidDataException($"{where}'s value {i} is not {expected}."))];

        return type switch
        {
            "ReadOnlyMemory`1" => new LabelKeyValues(TextDataViewType.Instance, Read<string>("a string").Select(v => v.AsMemory()).ToArray()),
            "Single" => new LabelKeyValues(NumberDataViewType.Single, Read<float>("a Single")),
            "Double" => new LabelKeyValues(NumberDataViewType.Double, Read<double>("a Double")),
            "Int32" => new LabelKeyValues(NumberDataViewType.Int32, Read<int>("an Int32")),
            "UInt32" => new LabelKeyValues(NumberDataViewType.UInt32, Read<uint>("a UInt32")),
            "Int64" => new LabelKeyValues(NumberDataViewType.Int64, Read<long>("an Int64")),
            "Boolean" => new LabelKeyValues(BooleanDataViewType.Instance, Read<bool>("a Boolean")),
            var other => throw new InvalidDataException($"{where} has key values of type '{other}', which is not supported."),
        };
    }
}
