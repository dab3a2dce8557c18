// Every (state, event) pair of the job state machine, against a table written out by hand.
#include "TestSupport.h"
#include "core/jobs/JobState.h"

using namespace spotwise::jobs;

namespace {

// Rows: states in kAllJobStates order. Columns: events in kAllJobEvents order:
// Submit PackageSucceeded PackageFailed LaunchAccepted LaunchCapacityError LaunchFailed AgentReported
// ProgramSucceeded ProgramFailed PreemptionDetected RelaunchScheduled AttemptsExhausted BootTimedOut
// AgentSilent InstanceLost BudgetReached MaxRuntimeReached StopConfirmed.
// "-" = not allowed.
const char* const kTable[11][18] = {
    /* Draft */ {"Packaging", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "Stopped"},
    /* Packaging */ {"-", "Launching", "Failed", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "Stopped"},
    /* Launching */ {"-", "-", "-", "Booting", "Launching", "Failed", "-", "-", "-", "-", "-", "-", "-", "-", "-", "BudgetExceeded", "Failed", "Stopped"},
    /* Booting */ {"-", "-", "-", "-", "-", "-", "Running", "Succeeded", "Failed", "Preempted", "-", "-", "Failed", "-", "Failed", "BudgetExceeded", "Failed", "Stopped"},
    /* Running */ {"-", "-", "-", "-", "-", "-", "Running", "Succeeded", "Failed", "Preempted", "-", "-", "-", "Failed", "Failed", "BudgetExceeded", "Failed", "Stopped"},
    /* Preempted */ {"-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "Relaunching", "Failed", "-", "-", "-", "BudgetExceeded", "Failed", "Stopped"},
    /* Relaunching */ {"-", "-", "-", "Booting", "Relaunching", "Failed", "-", "-", "-", "-", "-", "-", "-", "-", "-", "BudgetExceeded", "Failed", "Stopped"},
    /* Succeeded */ {"-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
    /* Failed */ {"-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
    /* Stopped */ {"-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
    /* BudgetExceeded */ {"-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"},
};

}  // namespace

class JobStateTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void transition_data() {
    QTest::addColumn<int>("state");
    QTest::addColumn<int>("event");
    QTest::addColumn<QString>("expected");
    static_assert(kAllJobStates.size() == 11 && kAllJobEvents.size() == 18);
    for (std::size_t s = 0; s < kAllJobStates.size(); ++s) {
      for (std::size_t e = 0; e < kAllJobEvents.size(); ++e) {
        const std::string name =
            std::string(jobStateName(kAllJobStates[s])) + " x " + std::string(jobEventName(kAllJobEvents[e]));
        QTest::newRow(name.c_str()) << static_cast<int>(s) << static_cast<int>(e) << QString::fromLatin1(kTable[s][e]);
      }
    }
  }

  void transition() {
    QFETCH(int, state);
    QFETCH(int, event);
    QFETCH(QString, expected);
    const auto next = nextState(kAllJobStates[static_cast<std::size_t>(state)], kAllJobEvents[static_cast<std::size_t>(event)]);
    const QString actual = next ? QString::fromLatin1(jobStateName(*next).data(), static_cast<qsizetype>(jobStateName(*next).size()))
                                : QStringLiteral("-");
    QCOMPARE(actual, expected);
  }

  void namesRoundTrip() {
    for (auto s : kAllJobStates) QCOMPARE(parseJobState(jobStateName(s)).value(), s);
    QVERIFY(!parseJobState("Sleeping"));
    QVERIFY(isTerminal(JobState::BudgetExceeded));
    QVERIFY(!isTerminal(JobState::Preempted));
  }
};

QTEST_APPLESS_MAIN(JobStateTest)
#include "JobStateTest.moc"
