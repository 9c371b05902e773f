using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MlNetDeep.Layers;
using MlNetDeep.ML;

namespace MlNetDeep.Tests.ML;

/// <summary>The transformer is an ML.NET prediction transformer (permutation feature importance works); output column names and example weights are options.</summary>
public class MlTypingTests
{
    private static NeuralNetworkBinaryTrainer.Options Recipe() => new()
    {
        HiddenLayers = [16],
        NumberOfEpochs = 15,
        BatchSize = 32,
        LearningRate = 3e-3f,
        Seed = 1,
    };

    [Test]
    public void PermutationFeatureImportanceRanksTheBreastCancerFeatures()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = MlData.BreastCancer(ml);
        var pipeline = ml.Transforms.NormalizeMeanVariance("Features")
            .Append(ml.BinaryClassification.Trainers.NeuralNetwork(Recipe()));
        var model = pipeline.Fit(train);
        ISingleFeaturePredictionTransformer<Layer> network = model.LastTransformer;
        Assert.That(network.Model, Is.SameAs(model.LastTransformer.Network));
        Assert.That(network.FeatureColumnType, Is.EqualTo(new VectorDataViewType(NumberDataViewType.Single, 30)));

        var pfi = ml.BinaryClassification.PermutationFeatureImportance(model.LastTransformer, model.Transform(test), permutationCount: 3);

        // Importance = the drop in AUC when a feature's values are shuffled across the rows.
        var drops = pfi.Select(m => -m.AreaUnderRocCurve.Mean).ToArray();
        Assert.That(drops, Has.Length.EqualTo(30));
        var ranked = Enumerable.Range(0, 30).OrderByDescending(i => drops[i]).ToArray();
        TestContext.Out.WriteLine(string.Join(", ", ranked.Take(8).Select(i => $"{i}: {drops[i]:F4}")));
        Assert.That(drops[ranked[0]], Is.GreaterThan(0.002), "shuffling the most important feature costs AUC");
        Assert.That(drops[ranked[0]], Is.GreaterThan(5 * Math.Max(1e-4, Math.Abs(drops[ranked[15]]))), "the ranking separates features");

        // Concave points (mean: 7, worst: 27) are the classic strongest signs of malignancy in this data set.
        Assert.That(ranked.Take(5), Does.Contain(7).Or.Contain(27));
    }

    [Test]
    public void TheTrainersAreMlNetTrainerEstimators()
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = MlData.BreastCancer(ml);
        var options = Recipe();
        options.NumberOfEpochs = 1;
        ITrainerEstimator<ISingleFeaturePredictionTransformer<Layer>, Layer> trainer = ml.BinaryClassification.Trainers.NeuralNetwork(options);

        Assert.That(trainer.Info.NeedNormalization, Is.False);
        Assert.That(trainer.Info.WantCaching, Is.False, "the trainer reads the data itself");
        var fitted = ml.Transforms.NormalizeMeanVariance("Features").Fit(train);
        var transformer = trainer.Fit(fitted.Transform(train));
        Assert.That(transformer.Model, Is.InstanceOf<Layer>());
        Assert.That(transformer.FeatureColumnName, Is.EqualTo("Features"));
    }

    [Test]
    public void OutputColumnNamesAreOptionsAndSurviveSaving()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = MlData.BreastCancer(ml);
        var options = Recipe();
        options.NumberOfEpochs = 3;
        options.ScoreColumnName = "Logit";
        options.PredictedLabelColumnName = "Malignant";
        options.ProbabilityColumnName = "P";
        var pipeline = ml.Transforms.NormalizeMeanVariance("Features").Append(ml.BinaryClassification.Trainers.NeuralNetwork(options));
        Assert.That(pipeline.Fit(train).GetOutputSchema(train.Schema).Select(c => c.Name), Does.Contain("Logit").And.Contain("Malignant").And.Contain("P"));
        var model = pipeline.Fit(train);
        var scored = model.Transform(test);
        Assert.That(scored.Schema.Select(c => c.Name), Does.Contain("Logit").And.Contain("Malignant").And.Contain("P").And.Not.Contain("Score"));
        var metrics = ml.BinaryClassification.Evaluate(scored, scoreColumnName: "Logit", probabilityColumnName: "P", predictedLabelColumnName: "Malignant");
        Assert.That(metrics.Accuracy, Is.GreaterThan(0.85));

        var path = Path.Combine(Path.GetTempPath(), $"names-{Guid.NewGuid():N}.mlnetdeep");
        try
        {
            ml.Model.SaveWithNetworks(model, train.Schema, path);
            var loaded = ml.Model.LoadWithNetworks(path, out _);
            var again = loaded.Transform(test);
            Assert.That(again.Schema.Select(c => c.Name), Does.Contain("Logit").And.Contain("Malignant").And.Contain("P"));
            Assert.That(again.GetColumn<float>("P").ToArray(), Is.EqualTo(scored.GetColumn<float>("P").ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void TheExampleWeightColumnWeighsEachRowsCost()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = MlData.BreastCancer(ml);

        // Malignant rows weigh nothing: the network never learns to say malignant.
        var weighted = ml.Transforms.CustomMapping<MlData.Patient, WeightRow>((p, w) => w.Weight = p.Label ? 0f : 1f, contractName: null).Fit(train).Transform(train);
        var options = Recipe();
        options.ExampleWeightColumnName = "Weight";
        var model = ml.Transforms.NormalizeMeanVariance("Features").Append(ml.BinaryClassification.Trainers.NeuralNetwork(options)).Fit(weighted);
        Assert.That(model.Transform(test).GetColumn<bool>("PredictedLabel"), Has.None.True);

        options.ExampleWeightColumnName = "Label";
        Assert.That(() => ml.BinaryClassification.Trainers.NeuralNetwork(options).Fit(weighted),
            Throws.ArgumentException.With.Message.Contains("'Label'").And.Message.Contains("Single"));
    }

    private sealed class WeightRow
    {
        public float Weight { get; set; }
    }
}
