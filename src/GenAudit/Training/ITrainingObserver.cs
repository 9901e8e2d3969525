using GenAudit.Models;

namespace GenAudit.Training;

/// <summary>A checkpoint just written by <see cref="Trainer"/>, with what an observer needs to draw or log it.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="Folder">The checkpoint folder written.</param>
/// <param name="Run">The run's paths (history, samples folder, loss plot).</param>
/// <param name="Config">The configuration with its data-dependent fields filled in.</param>
/// <param name="Generator">The generator the run samples with (the EMA copy when EMA is on), in eval mode.</param>
/// <param name="Data">The training data.</param>
public sealed record TrainingCheckpoint(long Step, string Folder, RunDirectory Run, TrainingConfig Config, IGenerativeModel Generator, ITrainingData Data);

/// <summary>
/// Receives a <see cref="Trainer"/>'s steps and checkpoints, so that drawing sample grids, loss curves or
/// logging live in the layers above training rather than in the trainer.
/// </summary>
public interface ITrainingObserver
{
    /// <summary>Called after every completed step with its losses.</summary>
    void OnStep(TrainingProgress progress) { }

    /// <summary>Called after every checkpoint is written, inside the trainer's dispose scope.</summary>
    void OnCheckpoint(TrainingCheckpoint checkpoint);
}
