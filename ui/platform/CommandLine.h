#pragma once

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QStringList>

namespace spotwise::ui {

/**
 * The desktop app's command line: `spotwise [options] [job files...]`. One definition for the
 * process that starts and for the running instance that a later launch hands its arguments to.
 * A job file (`*.spotwise.json`, what the .desktop entry's `Exec=spotwise %f` passes) opens the
 * launch form filled from it.
 */
class AppCommandLine {
 public:
  AppCommandLine();

  /** The parser, for QCommandLineParser::process() on the app's own arguments. */
  QCommandLineParser& parser() { return m_parser; }
  /** Parses `arguments` (program name first) without exiting; false on an unknown option. */
  bool parse(const QStringList& arguments);

  /** The job files named, as given (relative to the working folder of the process that parsed them). */
  [[nodiscard]] QStringList jobFiles() const { return m_parser.positionalArguments(); }
  /**
   * What a later launch hands to the running instance: the program and its job files made absolute,
   * since the running instance has a different working folder.
   */
  [[nodiscard]] QStringList forwardedArguments(const QString& program) const;

  const QCommandLineOption screenshot;
  const QCommandLineOption exitWhenShown;
  const QCommandLineOption page;

 private:
  QCommandLineParser m_parser;
};

}  // namespace spotwise::ui
