using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Internal;
using MlNetDeep.Serialization;

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

    /// <summary>The current format version.</summary>
    public const int FormatVersion = 1;

    /// <summary>Saves <paramref name="model"/>, fitted on data of <paramref name="inputSchema"/>, to <paramref name="path"/>.</summary>
    public static void SaveWithNetworks(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stages = Flatten(model);
        AtomicFile.Write(path, file =>
        {
            using var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true);
            Write(catalog, zip, stages, inputSchema);
        });
    }

    /// <summary>Loads a pipeline saved by <see cref="SaveWithNetworks"/>, ready for Transform and CreatePredictionEngine.</summary>
    /// <exception cref="InvalidDataException">The file is not such a pipeline, has another version, or is corrupt or truncated.</exception>
    public static ITransformer LoadWithNetworks(this ModelOperationsCatalog catalog, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return Read(catalog, zip, out inputSchema);
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

    private static void Write(ModelOperationsCatalog catalog, ZipArchive zip, List<ITransformer> stages, DataViewSchema inputSchema)
    {
        var manifest = new JsonArray();
        var schema = inputSchema;
        WriteEntry(zip, "input-schema.zip", s => catalog.Save(new TransformerChain<ITransformer>(), inputSchema, s));
        var index = 0;
        var start = 0;
        while (start < stages.Count)
        {
            var name = $"stage-{index++}";
            if (stages[start] is NeuralNetworkTransformer network)
            {
                WriteEntry(zip, name + ".network", s => NetworkFile.Save(network.Network, s));
                manifest.Add(new JsonObject
                {
                    ["kind"] = "network",
                    ["entry"] = name + ".network",
                    ["task"] = network.Task.ToString(),
                    ["featureColumn"] = network.FeatureColumnName,
                    ["featureShape"] = new JsonArray([.. network.FeatureShapeArray.Select(d => (JsonNode)d)]),
                    ["outputs"] = network.OutputCount,
                    ["keyValues"] = KeyValuesJson(network.KeyValues),
                });
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
            WriteEntry(zip, name + ".mlnet.zip", s => catalog.Save(segment, segmentSchema, s));
            manifest.Add(new JsonObject { ["kind"] = "mlnet", ["entry"] = name + ".mlnet.zip" });
            schema = segment.GetOutputSchema(schema);
            start = end;
        }

        var root = new JsonObject { ["format"] = Format, ["version"] = FormatVersion, ["stages"] = manifest };
        WriteEntry(zip, "manifest.json", s => JsonSerializer.Serialize(s, root));
    }

    private static TransformerChain<ITransformer> Read(ModelOperationsCatalog catalog, ZipArchive zip, out DataViewSchema inputSchema)
    {
        var root = JsonNode.Parse(ReadEntry(zip, "manifest.json")) as JsonObject
            ?? throw new InvalidDataException("the manifest is not a JSON object.");
        if ((string?)root["format"] != Format)
        {
            throw new InvalidDataException($"the manifest does not name the format '{Format}'.");
        }

        var version = (int?)root["version"];
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"pipeline format version {version} is not supported; this library reads version {FormatVersion}.");
        }

        catalog.Load(new MemoryStream(ReadEntry(zip, "input-schema.zip")), out inputSchema);
        var stages = new List<ITransformer>();
        foreach (var stage in root["stages"]?.AsArray() ?? throw new InvalidDataException("the manifest lists no stages."))
        {
            ArgumentNullException.ThrowIfNull(stage);
            var kind = (string?)stage["kind"];
            if (kind == "image")
            {
                stages.Add(ImageAugmentationTransformer.Load(stage["settings"] ?? throw new InvalidDataException("an image stage has no settings.")));
                continue;
            }

            var entry = (string?)stage["entry"] ?? throw new InvalidDataException("a stage names no entry.");
            switch (kind)
            {
                case "mlnet":
                    var loaded = catalog.Load(new MemoryStream(ReadEntry(zip, entry)), out _);
                    stages.AddRange(Flatten(loaded));
                    break;
                case "network":
                    var network = NetworkFile.Load(new MemoryStream(ReadEntry(zip, entry)));
                    stages.Add(new NeuralNetworkTransformer(
                        Enum.Parse<NeuralNetworkTask>((string?)stage["task"] ?? string.Empty),
                        network,
                        [.. stage["featureShape"]!.AsArray().Select(d => (int)d!)],
                        (string?)stage["featureColumn"] ?? throw new InvalidDataException("a network stage names no feature column."),
                        (int)stage["outputs"]!,
                        KeyValuesFromJson(stage["keyValues"]),
                        history: null));
                    break;
                default:
                    throw new InvalidDataException($"unknown stage kind '{(string?)stage["kind"]}'.");
            }
        }

        return new TransformerChain<ITransformer>([.. stages]);
    }

    private static JsonNode? KeyValuesJson(LabelKeyValues? keyValues) => keyValues is null ? null : new JsonObject
    {
        ["type"] = keyValues.ItemType.RawType.Name,
        ["values"] = JsonSerializer.SerializeToNode(keyValues.Values.Cast<object>().Select(v => v is ReadOnlyMemory<char> m ? m.ToString() : v).ToArray()),
    };

    private static LabelKeyValues? KeyValuesFromJson(JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }

        var values = node["values"]!.AsArray();
        return (string?)node["type"] switch
        {
            "ReadOnlyMemory`1" => new LabelKeyValues(TextDataViewType.Instance, values.Select(v => ((string)v!).AsMemory()).ToArray()),
            "Single" => new LabelKeyValues(NumberDataViewType.Single, values.Select(v => (float)v!).ToArray()),
            "Double" => new LabelKeyValues(NumberDataViewType.Double, values.Select(v => (double)v!).ToArray()),
            "Int32" => new LabelKeyValues(NumberDataViewType.Int32, values.Select(v => (int)v!).ToArray()),
            "UInt32" => new LabelKeyValues(NumberDataViewType.UInt32, values.Select(v => (uint)v!).ToArray()),
            "Int64" => new LabelKeyValues(NumberDataViewType.Int64, values.Select(v => (long)v!).ToArray()),
            "Boolean" => new LabelKeyValues(BooleanDataViewType.Instance, values.Select(v => (bool)v!).ToArray()),
            var other => throw new InvalidDataException($"label key values of type '{other}' are not supported."),
        };
    }

    private static void WriteEntry(ZipArchive zip, string name, Action<Stream> write)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        write(stream);
    }

    private static byte[] ReadEntry(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"the file has no entry '{name}'.");
        using var stream = entry.Open();
        var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
