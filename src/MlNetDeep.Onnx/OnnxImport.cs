using Google.Protobuf;
using MlNetDeep.Onnx.Internal;
using MlNetDeep.Onnx.Protobuf;

namespace MlNetDeep.Onnx;

/// <summary>
/// Imports an ONNX model (such as one exported by <c>torch.onnx.export</c>) as a built, trainable MlNetDeep network: the
/// route for fine-tuning and transfer learning from models trained elsewhere. The operators Conv, ConvTranspose, Gemm,
/// MatMul (+ Add), BatchNormalization, Relu, LeakyRelu, Sigmoid, Tanh, Elu, Selu, PRelu, MaxPool, AveragePool,
/// GlobalAveragePool, LRN (odd sizes), Add, Sum, Concat, Flatten, Reshape (flattening), Dropout, Softmax, Identity, Constant
/// and Resize (nearest-neighbour by an integer factor, as a frozen depthwise transposed convolution) map onto layers.
/// </summary>
/// <remarks>
/// A file is someone else's data and nothing in it is trusted: the protobuf is parsed within the bytes present, every
/// tensor's declared shape is checked against the values it holds before anything is allocated, the layers are built from
/// the weights' own shapes, and every problem — a corrupt or truncated file, an operator or attribute MlNetDeep cannot
/// express (named with its node), inconsistent shapes — is an <see cref="InvalidDataException"/> naming the file.
/// </remarks>
public static class OnnxImport
{
    /// <summary>Imports the model in <paramref name="path"/>.</summary>
    /// <param name="path">An ONNX model file with its weights inside (external data is not read).</param>
    /// <param name="options">The input shape when the file leaves it symbolic, and the seed; the defaults when null.</param>
    /// <exception cref="InvalidDataException">The file is not a model MlNetDeep can import; the message names the file, and the node and operator where it applies.</exception>
    public static OnnxImportResult Load(string path, OnnxImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException))
        {
            throw new InvalidDataException($"'{path}' cannot be read: {e.Message}", e);
        }

        return Load(bytes, path, options);
    }

    /// <summary>Imports a model held in memory.</summary>
    /// <param name="model">The ONNX protobuf bytes.</param>
    /// <param name="source">What to call the model in messages (a file name).</param>
    /// <param name="options">The input shape when the model leaves it symbolic, and the seed; the defaults when null.</param>
    /// <exception cref="InvalidDataException">The bytes are not a model MlNetDeep can import.</exception>
    public static OnnxImportResult Load(byte[] model, string source, OnnxImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            var proto = ModelProto.Parser.ParseFrom(model);
            return new OnnxGraphImporter(proto, options ?? new()).Import();
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{source}' is not an ONNX model: {e.Message}", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{source}' cannot be imported: {e.Message}", e);
        }
    }
}
