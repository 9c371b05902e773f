using System.Diagnostics;
using System.Text;
using MlNetDeep.Losses;
using MlNetDeep.Onnx;
using MlNetDeep.Optimizers;
using MlNetDeep.Training;
using Tensor = MlNetDeep.Tensors.Tensor;

namespace MlNetDeep.Tests.Onnx;

/// <summary>
/// torchvision's ResNet-18, VGG-11 and AlexNet with seeded random weights, exported by <c>torch.onnx.export</c> (Debian's
/// python3-torch 1.13) and imported here, give PyTorch's logits, and after one SGD step on the same batch and loss the same
/// weights and running statistics (ResNet-18 at 160x160: see pytorch_parity.py on the rounding-sensitivity of one train-mode step). The PyTorch side is pytorch_parity.py beside this file; the test is skipped, saying why,
/// when python3 cannot import torch and torchvision.
/// </summary>
[NonParallelizable]
public class PyTorchParityTests
{
    private const double Tolerance = 1e-4;
    private const float LearningRate = 0.1f;
    private static string? _folder;

    [OneTimeSetUp]
    public void RunPyTorch()
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var (probe, probeOutput) = Run(python, TimeSpan.FromMinutes(1), "-c", "import torch, torchvision; print(torch.__version__, torchvision.__version__)");
        if (probe != 0)
        {
            Assert.Ignore($"PyTorch parity skipped: {python} cannot import torch and torchvision (apt-get install python3-torch python3-torchvision): {probeOutput.Trim()}");
        }

        _folder = Directory.CreateTempSubdirectory("mlnetdeep-parity-").FullName;
        var script = Path.Combine(AppContext.BaseDirectory, "Onnx", "pytorch_parity.py");
        var (code, output) = Run(python, TimeSpan.FromMinutes(8), script, _folder, "resnet18:160:2", "vgg11:224:1", "alexnet:224:1");
        TestContext.Out.WriteLine($"torch/torchvision {probeOutput.Trim()}; {output.Split('\n').Where(l => l.Contains("loss", StringComparison.Ordinal)).Aggregate(string.Empty, (a, l) => a + l + "; ")}");
        Assert.That(code, Is.Zero, $"pytorch_parity.py failed:\n{output}");
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [TestCase("resnet18")]
    [TestCase("vgg11")]
    [TestCase("alexnet")]
    public void ImportedTorchvisionNetworkMatchesPyTorch(string name)
    {
        var tensors = ReadTensors(Path.Combine(_folder!, $"{name}.bin"));
        var imported = OnnxImport.Load(Path.Combine(_folder!, $"{name}.onnx"));
        var network = imported.Network;
        var x = tensors["x"];
        Assert.That(imported.InputShape.ToArray(), Is.EqualTo(x.Shape[1..].ToArray()));

        var logitsError = OrtRunner.RelativeError(Inference.Predict(network, x).Span, tensors["logits"].Span);

        var before = imported.Parameters.ToDictionary(p => p.Key, p => p.Value.Value.Span.ToArray());
        foreach (var p in network.Parameters)
        {
            p.Gradient.Clear();
        }

        var output = network.Forward(x, training: true);
        var trainLogitsError = OrtRunner.RelativeError(output.Span, tensors["train_logits"].Span);
        var gradient = new Tensor(output.ShapeArray());
        var loss = new SoftmaxCrossEntropy().Compute(output, tensors["y"], gradient);
        network.Backward(gradient);
        new GradientDescent(LearningRate).Step(network.Parameters);

        double weightError = 0, stepError = 0, bufferError = 0;
        var compared = 0;
        foreach (var (key, after) in tensors.Where(t => t.Key.StartsWith("after:", StringComparison.Ordinal)).ToList())
        {
            var initializer = key["after:".Length..];
            if (imported.Parameters.TryGetValue(initializer, out var parameter))
            {
                weightError = Math.Max(weightError, OrtRunner.RelativeError(parameter.Value.Span, after.Span));
                var ours = Subtract(parameter.Value.Span, before[initializer]);
                var theirs = Subtract(after.Span, before[initializer]);
                var e = OrtRunner.RelativeError(ours, theirs);
                stepError = Math.Max(stepError, e);
            }
            else if (imported.Buffers.TryGetValue(initializer, out var buffer))
            {
                bufferError = Math.Max(bufferError, OrtRunner.RelativeError(buffer.Span, after.Span));
            }
            else
            {
                Assert.Fail($"PyTorch's '{initializer}' has no counterpart in the imported network");
            }

            compared++;
        }

        Assert.That(compared, Is.EqualTo(imported.Parameters.Count + imported.Buffers.Count), "every imported tensor was compared");
        TestContext.Out.WriteLine(
            $"| {name} | {Tensor.Format(x.Shape)} | {network.ParameterCount:N0} | {logitsError:E2} | {trainLogitsError:E2} | {Math.Abs(loss - tensors["loss"][0]) / tensors["loss"][0]:E2} | {weightError:E2} | {stepError:E2} | {(imported.Buffers.Count == 0 ? "-" : bufferError.ToString("E2", System.Globalization.CultureInfo.InvariantCulture))} |");
        Assert.That(logitsError, Is.LessThan(Tolerance), "eval-mode logits");
        Assert.That(trainLogitsError, Is.LessThan(Tolerance), "train-mode logits (batch statistics)");
        Assert.That(Math.Abs(loss - tensors["loss"][0]), Is.LessThan(Tolerance * tensors["loss"][0]), "the training-mode loss");
        Assert.That(weightError, Is.LessThan(Tolerance), "the weights after one SGD step");
        Assert.That(stepError, Is.LessThan(1e-3), "the step itself (weights after − before)");
        Assert.That(bufferError, Is.LessThan(Tolerance), "batch norm's running statistics after the step");
    }

    private static float[] Subtract(ReadOnlySpan<float> a, float[] b)
    {
        var result = new float[a.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = a[i] - b[i];
        }

        return result;
    }

    /// <summary>Reads pytorch_parity.py's records: int32 name length, name, int32 rank, int32 dims, float32 values.</summary>
    private static Dictionary<string, Tensor> ReadTensors(string path)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var reader = new BinaryReader(File.OpenRead(path));
        while (reader.BaseStream.Position < reader.BaseStream.Length)
        {
            var name = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));
            var dims = new int[reader.ReadInt32()];
            for (var i = 0; i < dims.Length; i++)
            {
                dims[i] = reader.ReadInt32();
            }

            var count = dims.Aggregate(1, (p, d) => p * d);
            var values = new float[count];
            var bytes = reader.ReadBytes(count * sizeof(float));
            Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
            result[name] = new Tensor(values, dims.Length == 0 ? [1] : dims);
        }

        return result;
    }

    private static (int ExitCode, string Output) Run(string file, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        try
        {
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"timed out after {timeout}");
            }

            return (process.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
