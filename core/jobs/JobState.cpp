#include "core/jobs/JobState.h"

namespace spotwise::jobs {

std::string_view jobStateName(JobState state) {
  switch (state) {
    case JobState::Draft: return "Draft";
    case JobState::Packaging: return "Packaging";
    case JobState::Launching: return "Launching";
    case JobState::Booting: return "Booting";
    case JobState::Running: return "Running";
    case JobState::Preempted: return "Preempted";
    case JobState::Relaunching: return "Relaunching";
    case JobState::Succeeded: return "Succeeded";
    case JobState::Failed: return "Failed";
    case JobState::Stopped: return "Stopped";
    case JobState::BudgetExceeded: return "BudgetExceeded";
  }
  return "Failed";
}

std::optional<JobState> parseJobState(std::string_view name) {
  for (auto s : kAllJobStates) {
    if (jobStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view jobEventName(JobEvent event) {
  switch (event) {
    case JobEvent::Submit: return "Submit";
    case JobEvent::PackageSucceeded: return "PackageSucceeded";
    case JobEvent::PackageFailed: return "PackageFailed";
    case JobEvent::LaunchAccepted: return "LaunchAccepted";
    case JobEvent::LaunchCapacityError: return "LaunchCapacityError";
    case JobEvent::LaunchFailed: return "LaunchFailed";
    case JobEvent::AgentReported: return "AgentReported";
    case JobEvent::ProgramSucceeded: return "ProgramSucceeded";
    case JobEvent::ProgramFailed: return "ProgramFailed";
    case JobEvent::PreemptionDetected: return "PreemptionDetected";
    case JobEvent::RelaunchScheduled: return "RelaunchScheduled";
    case JobEvent::AttemptsExhausted: return "AttemptsExhausted";
    case JobEvent::BootTimedOut: return "BootTimedOut";
    case JobEvent::AgentSilent: return "AgentSilent";
    case JobEvent::InstanceLost: return "InstanceLost";
    case JobEvent::BudgetReached: return "BudgetReached";
    case JobEvent::MaxRuntimeReached: return "MaxRuntimeReached";
    case JobEvent::StopConfirmed: return "StopConfirmed";
  }
  return "?";
}

bool isTerminal(JobState state) {
  return state == JobState::Succeeded || state == JobState::Failed || state == JobState::Stopped ||
         state == JobState::BudgetExceeded;
}

bool mayHaveInstance(JobState state) {
  return state == JobState::Booting || state == JobState::Running || state == JobState::Preempted;
}

std::optional<JobState> nextState(JobState state, JobEvent event) {
  using S = JobState;
  using E = JobEvent;
  if (isTerminal(state)) return std::nullopt;
  // Valid in every live state.
  if (event == E::StopConfirmed) return S::Stopped;
  const bool spending = state == S::Launching || state == S::Booting || state == S::Running ||
                        state == S::Preempted || state == S::Relaunching;
  if (spending && event == E::BudgetReached) return S::BudgetExceeded;
  if (spending && event == E::MaxRuntimeReached) return S::Failed;

  switch (state) {
    case S::Draft:
      if (event == E::Submit) return S::Packaging;
      break;
    case S::Packaging:
      if (event == E::PackageSucceeded) return S::Launching;
      if (event == E::PackageFailed) return S::Failed;
      break;
    case S::Launching:
    case S::Relaunching:
      if (event == E::LaunchAccepted) return S::Booting;
      if (event == E::LaunchCapacityError) return state;
      if (event == E::LaunchFailed) return S::Failed;
      break;
    case S::Booting:
    case S::Running:
      switch (event) {
        case E::AgentReported: return S::Running;
        case E::ProgramSucceeded: return S::Succeeded;
        case E::ProgramFailed: return S::Failed;
        case E::PreemptionDetected: return S::Preempted;
        case E::InstanceLost: return S::Failed;
        case E::BootTimedOut: return state == S::Booting ? std::optional(S::Failed) : std::nullopt;
        case E::AgentSilent: return state == S::Running ? std::optional(S::Failed) : std::nullopt;
        default: break;
      }
      break;
    case S::Preempted:
      if (event == E::RelaunchScheduled) return S::Relaunching;
      if (event == E::AttemptsExhausted) return S::Failed;
      break;
    default:
      break;
  }
  return std::nullopt;
}

}  // namespace spotwise::jobs
