using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Fuzz;

/// <summary>Fuzzes <see cref="NetworkFile"/>: raw damage (caught by the CRC) and forged damage to the body with the
/// length and CRC recomputed, which reaches the architecture parser, the allocation budget and the weight checks.</summary>
internal sealed class NetworkFileTarget : FuzzTarget
{
    private readonly Tensor _inputs = FuzzNetwork.Inputs();

    public NetworkFileTarget()
    {
        var buffer = new MemoryStream();
        NetworkFile.Save(FuzzNetwork.Trained(), buffer);
        Original = buffer.ToArray();
    }

    public override string Name => "network";

    public override byte[] Original { get; }

    public override Mutation Mutate(Random random) => random.Next(10) switch
    {
        < 4 => new(Mutator.Bytes(random, Original), false, "raw"),
        < 8 => new(NetworkFileBytes.FixNetworkFile(Mutator.Within(random, Original, 12, 4)), true, "body, CRCs recomputed"),
        _ => new(NetworkFileBytes.FixNetworkFile(Mutator.Within(random, Original, WeightsStart, 8)), true, "weights block, CRCs recomputed"),
    };

    /// <summary>Where the weights block's tensor table starts (after its magic, version and count).</summary>
    private int WeightsStart => Original.AsSpan().LastIndexOf("MNDW"u8) + 12;

    public override object Load(string path) => NetworkFile.Load(path);

    public override float[] Score(object model) => Inference.Predict((Layers.Layer)model, _inputs).Span.ToArray();
}
