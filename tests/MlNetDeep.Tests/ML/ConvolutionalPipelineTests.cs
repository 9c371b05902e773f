using Microsoft.ML;
using Microsoft.ML.Transforms;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.Schedules;

namespace MlNetDeep.Tests.ML;

/// <summary>Convolutional networks trained inside ML.NET pipelines on image-shaped features.</summary>
public class ConvolutionalPipelineTests
{
    /// <summary>
    /// The convolutional issue's floor: LeNet-5 (modern) through an ML.NET pipeline, ≥ 98.0 % on the 2,000 test digits
    /// within 10 epochs. Seeds 0–7 of this recipe gave 98.20–98.95 % (PyTorch's SGD yardstick: 97.1–97.65 %).
    /// </summary>
    [TestCase(0)]
    [TestCase(1)]
    public void LeNet5ThroughAnMlNetPipelineReaches98Percent(int seed)
    {
        var ml = new MLContext(seed: 1);
        var train = Mnist.Load(DatasetPaths.Find("mnist"), "train").ToDataView(ml);
        var test = Mnist.Load(DatasetPaths.Find("mnist"), "test").ToDataView(ml);
        Assert.That(train.Schema["Features"].Type.ToString(), Does.Contain("1, 28, 28").Or.Contain("1,28,28").Or.Contain("784"));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = NetworkArchitecture.LeNet5(keepProbability: 0.8f),
                LabelSmoothing = 0.1f,
                Schedule = new OneCycle(5e-3f),
                L2Regularization = 1e-4f,
                NumberOfEpochs = 10,
                BatchSize = 32,
                Seed = seed,
            }));

        var model = pipeline.Fit(train);
        var report = ml.MulticlassClassification.EvaluateWithReport(model.Transform(test));

        TestContext.Out.WriteLine($"seed {seed}: accuracy {report.Accuracy:P2}, macro F1 {report.MacroF1:P2}");
        Assert.That(report.Metrics.MicroAccuracy, Is.GreaterThanOrEqualTo(0.980));
    }

    [Test]
    public void AFlatFeatureVectorWithADeclaredShapeFeedsAConvolutionalNetwork()
    {
        var ml = new MLContext(seed: 1);
        var train = MlData.Mnist(ml, "train");
        var test = MlData.Mnist(ml, "test");
        Assert.That(((Microsoft.ML.Data.VectorDataViewType)train.Schema["Features"].Type).Dimensions, Has.Length.EqualTo(1), "a flat Vector<Single, 784>");
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = NetworkArchitecture.LeNet5(),
                FeatureShape = [1, 28, 28],
                NumberOfEpochs = 2,
                BatchSize = 32,
                LearningRate = 2e-3f,
                Seed = 0,
            }));

        var model = pipeline.Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));

        Assert.That(((NeuralNetworkTransformer)model.LastTransformer).FeatureShape, Is.EqualTo(new[] { 1, 28, 28 }));
        Assert.That(metrics.MicroAccuracy, Is.GreaterThan(0.93));
    }
}
