using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using MlNetDeep.Data;
using MlNetDeep.Losses;
using MlNetDeep.ML;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Training;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// What the ML.NET route costs over the engine: the same MLP 784-256-128-10, 2 epochs of Adam at batch 64 on the
/// 8,000 MNIST training digits, trained by <see cref="Trainer.Fit"/> on tensors and by the NeuralNetwork trainer
/// inside an ML.NET pipeline (MapValueToKey, reading the IDataView, training).
/// </summary>
public class PipelineOverheadBenchmarks
{
    private ClassificationData _train = null!;
    private Tensor _labels = null!;
    private MLContext _ml = null!;
    private IDataView _view = null!;

    [GlobalSetup]
    public void Setup()
    {
        _train = Mnist.Load(DatasetPaths.Find("mnist"), "train");
        _labels = _train.LabelTensor();
        _ml = new MLContext(seed: 0);
        _view = _ml.Data.Cache(_train.ToDataView(_ml));
    }

    [Benchmark(Baseline = true, Description = "engine Trainer.Fit, 2 epochs")]
    public TrainingHistory Engine() =>
        Trainer.Fit(DenseModels.Mlp([256, 128], 10), _train.Features, _labels, new TrainingOptions
        {
            Loss = new SoftmaxCrossEntropy(),
            Optimizer = new Adam(1e-3f),
            Epochs = 2,
            BatchSize = 64,
        });

    [Benchmark(Description = "ML.NET pipeline Fit, 2 epochs")]
    public ITransformer Pipeline() =>
        _ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(_ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                HiddenLayers = [256, 128],
                LearningRate = 1e-3f,
                NumberOfEpochs = 2,
                BatchSize = 64,
                Seed = 0,
            }))
            .Fit(_view);
}
