using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A network whose training forward pass needs the batch's targets, not only its loss: Faster R-CNN adds the true boxes
/// to the region proposals it trains its second stage on, so that the head sees positives before the proposal network
/// has learnt to find them. The <see cref="Training.Trainer"/> calls <see cref="SetTrainingTargets"/> with the batch's
/// targets (already moved by augmentation) right before each training forward pass; forward passes that are not
/// training must not use them.
/// </summary>
public interface ITargetConsumer
{
    /// <summary>Gives the targets of the next training forward pass, one row per input row; not copied.</summary>
    /// <param name="targets">The batch's targets.</param>
    void SetTrainingTargets(Tensor targets);
}
