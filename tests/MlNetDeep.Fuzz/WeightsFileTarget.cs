using MlNetDeep.Layers;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Fuzz;

/// <summary>Fuzzes <see cref="WeightsFile"/>: loads into a fresh network of the saved architecture, and after a rejection
/// checks that the network was left exactly as it was.</summary>
internal sealed class WeightsFileTarget : FuzzTarget
{
    private readonly Tensor _inputs = FuzzNetwork.Inputs();
    private Layer? _last;
    private float[][]? _before;

    public WeightsFileTarget()
    {
        var buffer = new MemoryStream();
        WeightsFile.Save(FuzzNetwork.Trained(), buffer);
        Original = buffer.ToArray();
    }

    public override string Name => "weights";

    public override byte[] Original { get; }

    public override Mutation Mutate(Random random) => random.Next(10) < 4
        ? new(Mutator.Bytes(random, Original), false, "raw")
        : new(NetworkFileBytes.FixWeightsFile(Mutator.Within(random, Original, 8, 4)), true, "content, CRC recomputed");

    public override object Load(string path)
    {
        var network = FuzzNetwork.Create();
        network.Build(FuzzNetwork.InputShape, new RandomSource(0));
        _last = network;
        _before = Snapshot(network);
        WeightsFile.Load(network, path);
        return network;
    }

    public override float[] Score(object model) => Inference.Predict((Layer)model, _inputs).Span.ToArray();

    public override string? CheckAfterRejection()
    {
        var now = Snapshot(_last!);
        for (var i = 0; i < now.Length; i++)
        {
            if (!now[i].AsSpan().SequenceEqual(_before![i]))
            {
                return $"a rejected load changed tensor {i} of the network";
            }
        }

        return null;
    }

    private static float[][] Snapshot(Layer network) =>
        [.. network.Parameters.Select(p => p.Value.Span.ToArray()), .. network.Buffers.Select(b => b.Value.Span.ToArray())];
}
