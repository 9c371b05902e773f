using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.ML;
using MlNetDeep.Vision;

namespace MlNetDeep.Fuzz;

/// <summary>
/// Fuzzes pipeline files (<c>SaveWithNetworks</c>/<c>LoadWithNetworks</c>): a fitted pipeline of ML.NET key mapping, an
/// image normalisation step, a convolutional network with batch norm and ML.NET's key-to-value mapping, damaged at every
/// level — raw zip bytes; an entry's bytes (checksum left stale); the manifest's JSON, with its checksum recomputed
/// (forged); a network entry's body with its CRC and the manifest's records recomputed (forged); the nested ML.NET zips;
/// entries deflated into bombs or lying about their size; entries dropped, repeated or added.
/// </summary>
internal sealed class PipelineFileTarget : FuzzTarget
{
    private readonly MLContext _ml = new(seed: 1);
    private readonly IDataView _rows;
    private readonly ZipEntries _entries;
    private readonly string[] _names;

    public PipelineFileTarget(string folder)
    {
        var data = ColorShapes.Generate(40, 1, size: 16).ToDataView(_ml);
        var pipeline = _ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(_ml.Transforms.NormalizeChannels())
            .Append(_ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = (_, classes) => new Sequential(
                    new Conv2D(4, 3, padding: 1), new BatchNormalization(), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(classes)),
                NumberOfEpochs = 1,
                BatchSize = 8,
                Seed = 1,
            }))
            .Append(_ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel"));
        var model = pipeline.Fit(data);
        var path = Path.Combine(folder, "original.mlnetdeep");
        _ml.Model.SaveWithNetworks(model, data.Schema, path);
        _rows = _ml.Data.TakeRows(data, 6);

        // ML.NET stamps its nested zips with the time of saving: rewritten with fixed stamps (and the manifest's records
        // recomputed) the original is the same bytes on every run, and so is every mutation of a given seed.
        _entries = ZipEntries.Read(File.ReadAllBytes(path));
        _names = [.. _entries.Entries.Select(e => e.Name)];
        foreach (var nested in _names.Where(n => n.EndsWith(".zip", StringComparison.Ordinal)))
        {
            var inner = ZipEntries.Read(_entries[nested]);
            _entries[nested] = inner.Write(inner.Entries.Select(e => e.Name).ToHashSet());
            _entries.Rehash(nested);
        }

        Original = _entries.Write();
        Bombs = [.. _names.Select(name => Bomb(name))];
    }

    public override string Name => "pipeline";

    public override byte[] Original { get; }

    /// <summary>For each entry, the file with that entry replaced by 64 MiB of deflated zeros (a 1000:1 bomb).</summary>
    private byte[][] Bombs { get; }

    public override Mutation Mutate(Random random)
    {
        var roll = random.Next(100);
        var entries = _entries.Clone();
        var name = _names[random.Next(_names.Length)];
        switch (roll)
        {
            case < 30:
                return new(Mutator.Bytes(random, Original), false, "raw zip bytes");
            case < 45:
                entries[name] = Mutator.Bytes(random, entries[name]);
                return new(entries.Write(), false, $"entry {name}");
            case < 70:
                entries["manifest.json"] = Encoding.UTF8.GetBytes(JsonMutator.Mutate(random, Encoding.UTF8.GetString(entries["manifest.json"])));
                entries.Rehash(null);
                return new(entries.Write(), true, "manifest JSON, checksum recomputed");
            case < 85:
                {
                    var network = _names.First(n => n.EndsWith(".network", StringComparison.Ordinal));
                    entries[network] = NetworkFileBytes.FixNetworkFile(Mutator.Within(random, entries[network], 12, 4));
                    entries.Rehash(network);
                    return new(entries.Write(), true, "network body, CRC and manifest recomputed");
                }

            case < 90:
                {
                    var nested = _names.Where(n => n.EndsWith(".zip", StringComparison.Ordinal)).ToArray();
                    var target = nested[random.Next(nested.Length)];
                    entries[target] = random.Next(2) == 0 ? Mutator.Bytes(random, entries[target]) : NestedBomb(entries[target], random);
                    entries.Rehash(target);
                    return new(entries.Write(), true, $"nested zip {target}, manifest recomputed");
                }

            case < 95:
                {
                    var index = random.Next(Bombs.Length);
                    var bytes = (byte[])Bombs[index].Clone();
                    if (random.Next(2) == 0)
                    {
                        ZipEntries.PatchDeclaredLength(bytes, _names[index], (uint)random.Next(1, 4096));
                        return new(bytes, false, $"bomb in {_names[index]} declaring a small size");
                    }

                    return new(bytes, false, $"bomb in {_names[index]}");
                }

            default:
                switch (random.Next(3))
                {
                    case 0:
                        entries.Entries.RemoveAt(random.Next(entries.Entries.Count));
                        break;
                    case 1:
                        entries.Entries.Add(entries.Entries[random.Next(entries.Entries.Count)]);
                        break;
                    default:
                        entries.Entries.Add(("extra.bin", [1, 2, 3]));
                        break;
                }

                return new(entries.Write(), false, "entries dropped, repeated or added");
        }
    }

    public override object Load(string path) => _ml.Model.LoadWithNetworks(path, out _);

    public override float[] Score(object model)
    {
        var scored = ((ITransformer)model).Transform(_rows);

        // The output column names are settings of the network stage (the CLI's output options), so a forged manifest may
        // rename the score column: that is another valid model, and its scores are the new float-vector column.
        // A renamed score column may also take an input column's name (then the input's is hidden): the outputs come
        // after the inputs, so the last visible float vector is the score.
        var score = scored.Schema.GetColumnOrNull("Score")
            ?? scored.Schema.Last(c => !c.IsHidden && c.Type is VectorDataViewType { ItemType: var item } && item == NumberDataViewType.Single);
        var scores = scored.GetColumn<float[]>(score).SelectMany(v => v);
        var labels = scored.GetColumn<ReadOnlyMemory<char>>("PredictedName").Select(v => (float)v.ToString().GetHashCode(StringComparison.Ordinal));
        return [.. scores, .. labels];
    }

    private byte[] Bomb(string name)
    {
        var entries = _entries.Clone();
        entries[name] = new byte[64 << 20];
        return entries.Write(new HashSet<string> { name });
    }

    private static byte[] NestedBomb(byte[] nestedZip, Random random)
    {
        var inner = ZipEntries.Read(nestedZip);
        var victim = inner.Entries[random.Next(inner.Entries.Count)].Name;
        inner[victim] = new byte[16 << 20];
        var bytes = inner.Write(new HashSet<string> { victim });
        if (random.Next(2) == 0)
        {
            ZipEntries.PatchDeclaredLength(bytes, victim, 100);
        }

        return bytes;
    }
}
