using MlNetDeep.Tensors;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Embedding;
using MlNetDeep.Losses.Metric;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Verification;

/// <summary>The seed's triplet loss l(A, P, N) = max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + α, 0), its gradient and its mining.</summary>
public class TripletLossTests
{
    private static Tensor Rows(params float[][] rows) => new([.. rows.SelectMany(r => r)], rows.Length, rows[0].Length);

    [Test]
    public void HandComputedTripletsAndTheirGradient()
    {
        // Triplet 1: A=(0,0), P=(1,0), N=(0,2): 1 − 4 + 0.2 < 0 → 0. Triplet 2: A=(0,0), P=(2,0), N=(1,1): 4 − 2 + 0.2 = 2.2.
        var f = Rows([0, 0], [1, 0], [0, 2], [0, 0], [2, 0], [1, 1]);
        var loss = new TripletLoss(0.2f, TripletMining.Triplets);
        var g = new Tensor(6, 2);
        var cost = loss.Compute(f, new Tensor(6), g);
        Assert.That(cost, Is.EqualTo((0 + 2.2) / 2).Within(1e-6));

        // ∂l/∂A = 2(N − P), ∂l/∂P = 2(P − A), ∂l/∂N = 2(A − N), each halved by the mean over 2 triplets; triplet 1 is inactive.
        float[] expected = [0, 0, 0, 0, 0, 0, -1, 1, 2, 0, -1, -1];
        Assert.That(g.Span.ToArray(), Is.EqualTo(expected).Within(1e-6));
        Assert.That(TripletLoss.Of([0, 0], [2, 0], [1, 1], 0.2f), Is.EqualTo(2.2).Within(1e-6));
        Assert.That(TripletLoss.Of([0, 0], [1, 0], [0, 2], 0.2f), Is.EqualTo(0));
    }

    [TestCase(TripletMining.Triplets)]
    [TestCase(TripletMining.BatchAll)]
    [TestCase(TripletMining.BatchHard)]
    [TestCase(TripletMining.SemiHard)]
    public void AnEncoderThatOutputsZeroCostsAlphaNotZero(TripletMining mining)
    {
        var zeros = new Tensor(6, 4);
        var identities = new Tensor([0, 0, 1, 1, 2, 0], 6);
        var g = new Tensor(6, 4);
        Assert.That(new TripletLoss(0.2f, mining).Compute(zeros, identities, g), Is.EqualTo(0.2).Within(1e-7), "α = 0.2: the zero encoder pays α");
        Assert.That(new TripletLoss(0f, mining).Compute(zeros, identities, null), Is.EqualTo(0), "without α the zero encoder satisfies the loss (the seed's remark)");
    }

    [Test]
    public void TheDefaultMarginIsTheSeeds()
    {
        Assert.That(new TripletLoss().Margin, Is.EqualTo(0.2f));
    }

    [Test]
    public void MiningPicksTheHardestPositiveAndNegativeOfAPlantedBatch()
    {
        // One coordinate each. Identity 0 at 0, 0.1, 0.9; identity 1 at 3.0, 0.5, 2.0.
        var f = new Tensor([0f, 0.1f, 0.9f, 3f, 0.5f, 2f], 6, 1);
        var identities = new Tensor([0, 0, 0, 1, 1, 1], 6);

        var hard = new TripletLoss(0.2f, TripletMining.BatchHard).Mine(f, identities);
        Assert.That(hard[0], Is.EqualTo(new Triplet(0, 2, 4)), "anchor 0: farthest positive is row 2 (0.9), nearest negative row 4 (0.5)");
        Assert.That(hard[3], Is.EqualTo(new Triplet(3, 4, 2)), "anchor 3 (3.0): farthest positive row 4 (d 6.25, not row 5 at d 1), nearest negative row 2 (d 4.41)");
    }

    [Test]
    public void BatchAllSemiHardAndBatchHardOnAPlantedBatch()
    {
        var f = new Tensor([0f, 0.1f, 0.9f, 3f, 0.5f, 2f], 6, 1);
        var identities = new Tensor([0, 0, 0, 1, 1, 1], 6);
        Assert.That(new TripletLoss(0.2f, TripletMining.BatchAll).Mine(f, identities), Has.Count.EqualTo(6 * 2 * 3));

        var semi = new TripletLoss(0.2f, TripletMining.SemiHard).Mine(f, identities);
        // (A 0, P 1): d_ap = 0.01; negatives at 9, 0.25, 4 → the nearest farther than P is row 4.
        Assert.That(semi, Does.Contain(new Triplet(0, 1, 4)));
        // (A 0, P 2): d_ap = 0.81; row 4 (0.25) is closer than P, so the semi-hard negative is row 5 (4), not row 3 (9).
        Assert.That(semi, Does.Contain(new Triplet(0, 2, 5)));
    }

    [TestCase(TripletMining.BatchAll)]
    [TestCase(TripletMining.BatchHard)]
    [TestCase(TripletMining.SemiHard)]
    [TestCase(TripletMining.Triplets)]
    public void GradientCheckThroughAnEmbeddingHead(TripletMining mining)
    {
        // Normalised encodings: a distance loss cannot see a bias added to every row, so without the normalisation the biases'
        // true gradients are 0 and the check would compare rounding noise.
        var net = new Sequential(new Dense(6, useBias: false), new EmbeddingHead(4));
        net.Build([5], new RandomSource(3));
        // Semi-hard mining jumps from one negative to another where d(A, P) crosses a d(A, N): a small batch keeps every
        // such crossing farther than ε from this point, so the finite differences see one smooth piece.
        var rows = mining == TripletMining.SemiHard ? 6 : 12;
        var x = TestData.Random(11, rows, 5);
        var identities = new Tensor([.. new float[] { 0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 1, 2 }.Take(rows)], rows);

        // A large margin keeps every mined triplet active (away from the hinge's kink) for the finite differences.
        var result = GradientCheck.Run(net, new TripletLoss(2f, mining), x, identities, epsilon: 1e-3, tolerance: 5e-3);
        Assert.That(result.Passed, result.ToString());
    }

    [Test]
    public void ContrastiveLossHandComputedAndGradientCheck()
    {
        // Rows 0, 1 same identity at distance 1 → 1; row 2 another identity at distance 0.5 from row 0 and √1.25 from row 1,
        // margin 1: (1 − 0.5)² = 0.25 and 0 (√1.25 > 1). Mean over 3 pairs = 1.25 / 3.
        var f = Rows([0, 0], [1, 0], [0, 0.5f]);
        var loss = new ContrastiveLoss(1f);
        Assert.That(loss.Compute(f, new Tensor([0, 0, 1], 3), null), Is.EqualTo(1.25 / 3).Within(1e-6));

        var net = new Sequential(new Dense(4, useBias: false), new EmbeddingHead(3));
        net.Build([5], new RandomSource(5));
        var result = GradientCheck.Run(net, new ContrastiveLoss(1.5f), TestData.Random(13, 8, 5), new Tensor([0, 0, 1, 1, 2, 2, 0, 1], 8), tolerance: 5e-3);
        Assert.That(result.Passed, result.ToString());
    }

    [Test]
    public void BadIdentitiesAndExampleWeightsAreClearErrors()
    {
        var loss = new TripletLoss();
        var e = Assert.Throws<ArgumentException>(() => loss.Compute(new Tensor(3, 2), new Tensor([0, 1.5f, 2], 3), null));
        Assert.That(e!.Message, Does.Contain("identity 1.5 at row 1"));
        var w = Assert.Throws<NotSupportedException>(() => loss.Compute(new Tensor(3, 2), new Tensor(3), null, [1f, 1f, 1f]));
        Assert.That(w!.Message, Does.Contain("TripletLoss couples the rows"));
        Assert.That(new TripletLoss(0.2f, TripletMining.Triplets).Validate(new Tensor(4), 2), Does.Contain("not whole triplets"));
    }
}
