#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace spotwise::jobs {

/** Where a job is in its life. Succeeded, Failed, Stopped and BudgetExceeded are terminal. */
enum class JobState {
  Draft,
  Packaging,
  Launching,
  Booting,
  Running,
  Preempted,
  Relaunching,
  Succeeded,
  Failed,
  Stopped,
  BudgetExceeded,
};

/** What happened to a job. Events that end an instance are applied once the provider confirmed it is gone. */
enum class JobEvent {
  Submit,               ///< the user launched the job
  PackageSucceeded,     ///< code.tar.gz is in storage
  PackageFailed,
  LaunchAccepted,       ///< the provider accepted the launch request; the instance boots
  LaunchCapacityError,  ///< no capacity / quota: back off and try the next zone or region
  LaunchFailed,         ///< a launch error that retrying will not fix
  AgentReported,        ///< a heartbeat of the current attempt saying the program runs
  ProgramSucceeded,     ///< the program exited 0 and the agent uploaded the result
  ProgramFailed,        ///< the program exited non-zero
  PreemptionDetected,   ///< notice seen or the spot instance was reclaimed
  RelaunchScheduled,    ///< the recovery policy allows another attempt
  AttemptsExhausted,    ///< the recovery policy allows no more attempts
  BootTimedOut,         ///< the agent never reported within the boot timeout
  AgentSilent,          ///< the agent stopped heartbeating while its instance runs
  InstanceLost,         ///< an on-demand instance ended without the agent saying why
  BudgetReached,        ///< the next poll would cross the budget
  MaxRuntimeReached,
  StopConfirmed,        ///< the user stopped the job and the provider confirmed termination
};

inline constexpr std::array kAllJobStates{
    JobState::Draft,     JobState::Packaging,   JobState::Launching, JobState::Booting,
    JobState::Running,   JobState::Preempted,   JobState::Relaunching, JobState::Succeeded,
    JobState::Failed,    JobState::Stopped,     JobState::BudgetExceeded};

inline constexpr std::array kAllJobEvents{
    JobEvent::Submit,        JobEvent::PackageSucceeded,   JobEvent::PackageFailed,     JobEvent::LaunchAccepted,
    JobEvent::LaunchCapacityError, JobEvent::LaunchFailed, JobEvent::AgentReported,     JobEvent::ProgramSucceeded,
    JobEvent::ProgramFailed, JobEvent::PreemptionDetected, JobEvent::RelaunchScheduled, JobEvent::AttemptsExhausted,
    JobEvent::BootTimedOut,  JobEvent::AgentSilent,        JobEvent::InstanceLost,      JobEvent::BudgetReached,
    JobEvent::MaxRuntimeReached, JobEvent::StopConfirmed};

/** "Draft", "Packaging", ... (stored in the ledger; stable). */
std::string_view jobStateName(JobState state);
std::optional<JobState> parseJobState(std::string_view name);
/** "Submit", "PackageSucceeded", ... */
std::string_view jobEventName(JobEvent event);

/** True for Succeeded, Failed, Stopped and BudgetExceeded. */
bool isTerminal(JobState state);
/** True while an instance may exist for the job (Booting, Running, Preempted). */
bool mayHaveInstance(JobState state);

/**
 * The state machine: the state after `event` in `state`, or nullopt when the event is not allowed
 * there (the controller then leaves the job as it is and logs the refusal). Pure; thread-safe.
 */
std::optional<JobState> nextState(JobState state, JobEvent event);

}  // namespace spotwise::jobs
