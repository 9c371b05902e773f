using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Models;
using MlNetDeep.Onnx;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Fuzz;

/// <summary>
/// Fuzzes <see cref="OnnxImport"/>: an exported network (convolution, batch norm, pooling with same padding, a residual
/// block and an Inception module, LRN, PReLU, dense, softmax) damaged at random. ONNX has no checksum, so every mutation is
/// a possible deliberate edit: an accepted file may describe another valid model, and a model whose input shape changed is
/// not scored with the original's inputs.
/// </summary>
internal sealed class OnnxFileTarget : FuzzTarget
{
    private static readonly int[] InputShape = [3, 12, 12];
    private readonly Tensor _inputs;

    public OnnxFileTarget()
    {
        var network = new Sequential(
            new Conv2D(6, 3, padding: 1),
            new BatchNormalization(),
            new ReLU(),
            new MaxPool2D(2),
            Architectures.BasicBlock(6, 8, stride: 2),
            Architectures.InceptionModule(2, 2, 3, 2, 2, 2),
            new LocalResponseNormalization(3),
            new PReLU(0.1f),
            new AvgPool2D(3),
            new Flatten(),
            new Dropout(0.9f),
            new Dense(5),
            new Softmax()) { Name = "fuzz" };
        network.Build(InputShape, new RandomSource(0));
        Original = OnnxExport.ToBytes(network);
        _inputs = new Tensor(2, 3, 12, 12);
        var random = new RandomSource(3);
        foreach (ref var v in _inputs.Span)
        {
            v = random.NextFloat();
        }
    }

    public override string Name => "onnx";

    public override byte[] Original { get; }

    public override Mutation Mutate(Random random) => new(Mutator.Bytes(random, Original), true, "raw (ONNX has no checksum)");

    public override object Load(string path) => OnnxImport.Load(path);

    public override float[] Score(object model)
    {
        var network = ((OnnxImportResult)model).Network;
        return network.InputShape.SequenceEqual(InputShape) ? Inference.Predict(network, _inputs).Span.ToArray() : [];
    }
}
